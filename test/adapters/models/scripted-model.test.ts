import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadScript,
  ScriptedModel,
  validateScript,
  type Script,
} from '../../../lambdas/adapters/models/scripted-model';
import type { ChatMessage, ModelRequest, ToolSpec } from '../../../lambdas/core/ports';

const TOOL: ToolSpec = { name: 'execute_python', description: 'Run Python', inputSchema: { type: 'object' } };
const dir = mkdtempSync(join(tmpdir(), 'rlm-scripted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCRIPT: Script = {
  root: [
    { text: 'First I look at the context.', code: 'print(len(context))' },
    { code: ['a = 1', 'print(a + 1)'] },
    { text: 'Thinking without code.' },
    { code: 'FINAL("done")' },
  ],
  sub: {
    exact: { 'What is 2+2?': '4' },
    rules: [
      { match: '^Count (\\w+) in', flags: 'i', reply: 'There are 3 $1 (asked: "$&").' },
      { match: 'summar', reply: 'A summary.' },
    ],
    default: 'I do not know.',
  },
};

/** A root request after `k` assistant turns. */
function root(k: number, tools: ToolSpec[] | null = [TOOL]): ModelRequest {
  const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'Question?' }] }];
  for (let i = 0; i < k; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `t${i}`, name: 'execute_python', input: { code: 'x' } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', toolUseId: `t${i}`, text: 'out' }] });
  }
  return { role: 'root', modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', system: 'sys', messages, tools: tools ?? undefined };
}

const sub = (prompt: string): ModelRequest => ({
  role: 'sub', modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
});

const textOf = (r: { content: Array<{ type: string; text?: string }> }) => r.content.map((b) => b.text ?? '').join('');

describe('ScriptedModel root turns', () => {
  const model = new ScriptedModel(SCRIPT, { source: 'demo.json' });

  it('selects the turn by the number of assistant messages (stateless, repeatable)', async () => {
    const first = await model.converse(root(0));
    expect(first.content).toEqual([
      { type: 'text', text: 'First I look at the context.' },
      { type: 'tool_use', id: 'scripted-0-0', name: 'execute_python', input: { code: 'print(len(context))' } },
    ]);
    expect(first.stopReason).toBe('tool_use');
    expect(first.modelId).toBe('scripted');
    // a fresh instance (next Lambda invocation) asked the same thing answers the same
    expect(await new ScriptedModel(SCRIPT, { source: 'demo.json' }).converse(root(0))).toMatchObject({ content: first.content });
    expect((await model.converse(root(3))).content).toEqual([
      { type: 'tool_use', id: 'scripted-3-0', name: 'execute_python', input: { code: 'FINAL("done")' } },
    ]);
  });

  it('turns an array of code strings into one tool_use each', async () => {
    const res = await model.converse(root(1));
    expect(res.content).toEqual([
      { type: 'tool_use', id: 'scripted-1-0', name: 'execute_python', input: { code: 'a = 1' } },
      { type: 'tool_use', id: 'scripted-1-1', name: 'execute_python', input: { code: 'print(a + 1)' } },
    ]);
  });

  it('a text-only turn returns text and no tool use', async () => {
    const res = await model.converse(root(2));
    expect(res.content).toEqual([{ type: 'text', text: 'Thinking without code.' }]);
    expect(res.stopReason).toBe('end_turn');
  });

  it('without tools (final call) returns the text, or the code wrapped as text', async () => {
    expect((await model.converse(root(0, []))).content).toEqual([{ type: 'text', text: 'First I look at the context.' }]);
    expect((await model.converse(root(1, null))).content).toEqual([
      { type: 'text', text: '```python\na = 1\n```\n\n```python\nprint(a + 1)\n```' },
    ]);
  });

  it('throws ScriptExhaustedError naming the file and the turn when root turns run out', async () => {
    await expect(model.converse(root(4))).rejects.toMatchObject({
      name: 'ScriptExhaustedError',
      message: expect.stringMatching(/demo\.json.*root turn 5.*4 root turn/),
    });
  });

  it('reports deterministic non-zero token estimates', async () => {
    const a = await model.converse(root(0));
    const b = await model.converse(root(0));
    expect(a.usage).toEqual(b.usage);
    expect(a.usage.inputTokens).toBe(Math.ceil(('sys' + 'Question?').length / 4));
    expect(a.usage.outputTokens).toBe(Math.ceil(('First I look at the context.' + 'print(len(context))').length / 4));
  });

  it('simulates latency from the script or the turn', async () => {
    const slow = new ScriptedModel({ latencyMs: 30, root: [{ text: 'a' }, { text: 'b', latencyMs: 0 }] });
    const t0 = Date.now();
    const r = await slow.converse(root(0));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(r.latencyMs).toBeGreaterThanOrEqual(25);
    expect((await slow.converse(root(1))).latencyMs).toBeLessThan(25);
  });
});

describe('ScriptedModel sub replies', () => {
  const model = new ScriptedModel(SCRIPT, { source: 'demo.json' });

  it('exact match first, then the first matching rule with capture groups, then default', async () => {
    expect(textOf(await model.converse(sub('What is 2+2?')))).toBe('4');
    expect(textOf(await model.converse(sub('count ERRORS in this chunk: ...')))).toBe('There are 3 ERRORS (asked: "count ERRORS in").');
    expect(textOf(await model.converse(sub('Please summarize this')))).toBe('A summary.');
    expect(textOf(await model.converse(sub('Something else')))).toBe('I do not know.');
    // an exact entry wins over a rule that would also match
    const both = new ScriptedModel({ sub: { exact: { 'Count x in y': 'exact' }, rules: [{ match: 'Count', reply: 'rule' }] } });
    expect(textOf(await both.converse(sub('Count x in y')))).toBe('exact');
  });

  it('expands $$ to a literal dollar and missing groups to nothing', async () => {
    const m = new ScriptedModel({ sub: { rules: [{ match: '(a)(b)?', reply: '$$1=$1 $2|' }] } });
    expect(textOf(await m.converse(sub('a')))).toBe('$1=a |');
  });

  it('without a match or default throws ModelInvocationError', async () => {
    const m = new ScriptedModel({ sub: { exact: { a: 'b' } } });
    await expect(m.converse(sub('zzz'))).rejects.toMatchObject({ name: 'ModelInvocationError', message: expect.stringContaining('zzz') });
  });
});

describe('script validation', () => {
  it.each([
    [{ root: [{ text: 'ok' }, { text: 'ok' }, { code: 5 }] }, 'root[2].code must be a string or array of strings'],
    [{ root: [{ code: [] }] }, 'root[0].code must be a string or array of strings'],
    [{ root: [{}] }, 'root[0] needs "text" and/or "code"'],
    [{ root: [{ text: 1 }] }, 'root[0].text must be a string'],
    [{ root: [{ text: 'a', cod: 'x' }] }, 'unknown field "cod" in root[0]; did you mean code? (allowed: text, code, latencyMs)'],
    [{ root: {} }, '"root" must be an array'],
    [{ roots: [] }, 'unknown field "roots" in (top level); did you mean root? (allowed: description, latencyMs, root, sub)'],
    [{}, 'needs "root" and/or "sub"'],
    [[], 'must be a JSON object'],
    [{ sub: { exact: { p: 1 } } }, 'sub.exact.p must be a string'],
    [{ sub: { exact: { 'a prompt?': 1 } } }, 'sub.exact["a prompt?"] must be a string'],
    [{ sub: { rules: [{ match: '(', reply: 'x' }] } }, 'sub.rules[0].match is not a valid regular expression'],
    [{ sub: { rules: [{ match: 'a' }] } }, 'sub.rules[0].reply must be a string'],
    [{ sub: { rules: [{ match: 'a', reply: 'b', flags: 'g' }] } }, 'sub.rules[0].flags must be'],
    [{ sub: { default: 3 } }, 'sub.default must be a string'],
    [{ root: [{ text: 'a', latencyMs: -1 }] }, 'root[0].latencyMs must be a non-negative number'],
  ])('rejects %j', (value, message) => {
    expect(() => validateScript(value, 'bad.json')).toThrow(message);
    try {
      validateScript(value, 'bad.json');
    } catch (err) {
      expect((err as Error).name).toBe('ScriptExhaustedError');
      expect((err as Error).message).toContain('bad.json');
    }
  });

  it('loadScript reads a valid file, and names the file for bad JSON or a missing file', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(SCRIPT));
    expect(loadScript(good)).toEqual(SCRIPT);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"root": [');
    expect(() => loadScript(bad)).toThrow(/bad\.json: not valid JSON/);
    expect(() => loadScript(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ name: 'ConfigError' }));
  });
});
