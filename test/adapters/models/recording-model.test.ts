import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingModel } from '../../../lambdas/adapters/models/recording-model';
import { loadScript, ScriptedModel } from '../../../lambdas/adapters/models/scripted-model';
import type { ChatMessage, ContentBlock, LanguageModel, ModelRequest, ModelResponse, ToolSpec } from '../../../lambdas/core/ports';

const TOOL: ToolSpec = { name: 'execute_python', description: 'Run Python', inputSchema: { type: 'object' } };

/** A fake live model: root replies from a list by call order, sub replies computed from the prompt. */
class FakeLiveModel implements LanguageModel {
  readonly description = 'fake-live';
  calls = 0;
  constructor(private readonly rootReplies: ContentBlock[][]) {}
  async converse(request: ModelRequest): Promise<ModelResponse> {
    const content: ContentBlock[] = request.role === 'sub'
      ? [{ type: 'text', text: `sub says ${(request.messages[0].content[0] as { text: string }).text.length}` }]
      : this.rootReplies[this.calls++];
    return { content, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 }, modelId: 'live', latencyMs: 1 };
  }
}

/** Drive a tiny run: root turn, optional subs, append reply + results, repeat; last call without tools. */
async function run(model: LanguageModel, turns: number): Promise<Array<{ root: ContentBlock[]; subs: string[] }>> {
  const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'Question?' }] }];
  const seen: Array<{ root: ContentBlock[]; subs: string[] }> = [];
  for (let i = 0; i < turns; i++) {
    const last = i === turns - 1;
    const res = await model.converse({ role: 'root', modelId: 'root-model', messages: [...messages], tools: last ? [] : [TOOL] });
    const subs: string[] = [];
    for (const prompt of [`chunk ${i}`, 'same prompt']) {
      const s = await model.converse({ role: 'sub', modelId: 'sub-model', messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }] });
      subs.push((s.content[0] as { text: string }).text);
    }
    seen.push({ root: res.content, subs });
    messages.push({ role: 'assistant', content: res.content });
    const uses = res.content.filter((b) => b.type === 'tool_use') as Array<{ id: string }>;
    messages.push({
      role: 'user',
      content: uses.length ? uses.map((u) => ({ type: 'tool_result', toolUseId: u.id, text: 'ok' }) as ContentBlock) : [{ type: 'text', text: 'go on' }],
    });
  }
  return seen;
}

const LIVE_REPLIES: ContentBlock[][] = [
  [{ type: 'text', text: 'Look first.' }, { type: 'tool_use', id: 'toolu_1', name: 'execute_python', input: { code: 'print(1)' } }],
  [
    { type: 'tool_use', id: 'toolu_2', name: 'execute_python', input: { code: 'a = 2' } },
    { type: 'tool_use', id: 'toolu_3', name: 'execute_python', input: { code: 'print(a)' } },
  ],
  [{ type: 'text', text: 'No tools here:\n```python\nprint("fenced")\n```' }],
  [{ type: 'text', text: 'FINAL answer: 2' }],
];

const texts = (blocks: ContentBlock[]) => blocks.map((b) => (b.type === 'text' ? `T:${b.text}` : b.type === 'tool_use' ? `C:${b.input.code}` : ''));

describe('RecordingModel', () => {
  it('passes calls through and records a script that replays the same replies', async () => {
    const recorder = new RecordingModel(new FakeLiveModel(LIVE_REPLIES));
    const live = await run(recorder, 4);
    expect(recorder.description).toBe('fake-live');
    expect(live.map((t) => t.root)).toEqual(LIVE_REPLIES);

    const script = recorder.toScript();
    expect(script.root).toEqual([
      { text: 'Look first.', code: 'print(1)' },
      { code: ['a = 2', 'print(a)'] },
      { text: 'No tools here:\n```python\nprint("fenced")\n```' },
      { text: 'FINAL answer: 2' },
    ]);
    expect(script.sub?.exact).toEqual({ 'chunk 0': 'sub says 7', 'same prompt': 'sub says 11', 'chunk 1': 'sub says 7', 'chunk 2': 'sub says 7', 'chunk 3': 'sub says 7' });

    const dir = mkdtempSync(join(tmpdir(), 'rlm-rec-'));
    const file = join(dir, 'nested', 'run.json');
    recorder.save(file);
    expect(readFileSync(file, 'utf8')).toContain('\n  "root": [');
    const replay = await run(new ScriptedModel(loadScript(file), { source: file }), 4);
    rmSync(dir, { recursive: true, force: true });
    expect(replay.map((t) => texts(t.root))).toEqual(live.map((t) => texts(t.root)));
    expect(replay.map((t) => t.subs)).toEqual(live.map((t) => t.subs));
  });

  it('records nothing for failed calls and overwrites a retried root turn', async () => {
    let fail = true;
    const flaky: LanguageModel = {
      description: 'flaky',
      async converse(req) {
        if (fail) { fail = false; throw new Error('throttled'); }
        return { content: [{ type: 'text', text: `reply for ${req.messages.length}` }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 }, modelId: 'x', latencyMs: 0 };
      },
    };
    const recorder = new RecordingModel(flaky);
    const req: ModelRequest = { role: 'root', modelId: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }] };
    await expect(recorder.converse(req)).rejects.toThrow('throttled');
    expect(recorder.rootTurns).toBe(0);
    await recorder.converse(req);
    await recorder.converse(req);
    expect(recorder.toScript().root).toEqual([{ text: 'reply for 1' }]);
  });
});
