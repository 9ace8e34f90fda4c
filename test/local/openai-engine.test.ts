/**
 * The whole local pipeline driven through the OpenAI-compatible adapter against a real HTTP server on
 * loopback. The server plays a tool-using model: it decides from the conversation it receives, so the
 * test checks that tool calls and results are rebuilt correctly from the store on every turn.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OpenAICompatibleModel } from '../../lambdas/adapters/models';
import { LocalEngine } from '../../bin/local/local-engine';

type Msg = { role: string; content?: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string };

const bodies: Array<{ model: string; messages: Msg[]; tools?: unknown[] }> = [];
let server: Server;
let baseUrl: string;

function reply(message: Record<string, unknown>, finish: string) {
  return { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], usage: { prompt_tokens: 100, completion_tokens: 20 } };
}

/** A tiny "model": root turns decided by how many tool results it has seen; sub-calls answered from the prompt. */
function decide(body: { model: string; messages: Msg[]; tools?: unknown[] }) {
  const toolResults = body.messages.filter((m) => m.role === 'tool');
  if (!body.tools) {
    const prompt = String(body.messages[body.messages.length - 1].content);
    return reply({ content: `SUB SAW ${(prompt.match(/needle/g) ?? []).length} needles` }, 'stop');
  }
  const call = (code: string) => reply({ content: null, tool_calls: [{ id: `call_${toolResults.length}`, type: 'function', function: { name: 'execute_python', arguments: JSON.stringify({ code }) } }] }, 'tool_calls');
  if (toolResults.length === 0) return call("n = context.count('needle')\nprint('count', n)");
  if (toolResults.length === 1) {
    if (!/count 3/.test(String(toolResults[0].content))) return reply({ content: 'I did not see the count.' }, 'stop');
    return call("s = llm_query('how many? ' + context)\nprint(s)");
  }
  const sub = /SUB SAW (\d+)/.exec(String(toolResults[1].content));
  return call(`FINAL(f"{n} needles; the sub-model saw ${sub?.[1]}")`);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data);
      bodies.push(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(decide(body)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

test('three turns through an OpenAI-compatible server: tool calls, tool results and a sub-call, ending in FINAL', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-openai-'));
  writeFileSync(path.join(dir, 'hay.txt'), 'hay '.repeat(20_000) + 'needle ' + 'hay '.repeat(5_000) + 'needle needle');
  const model = new OpenAICompatibleModel({ baseUrl, model: 'local-model' });
  const engine = await LocalEngine.start({ model, stateDir: path.join(dir, 'state'), runDefaults: { rootModelId: 'local-model', subModelId: 'local-model' } });
  try {
    const summary = await engine.run({ question: 'How many needles?', documents: [path.join(dir, 'hay.txt')] });
    expect(summary).toMatchObject({ status: 'succeeded', stopReason: 'final', answer: '3 needles; the sub-model saw 3', iterations: 3 });
    expect(summary.usage).toMatchObject({ rootInputTokens: 300, rootOutputTokens: 60, subCalls: 1 });
  } finally {
    await engine.close();
  }
  const roots = bodies.filter((b) => b.tools);
  expect(roots).toHaveLength(3);
  // Turn 3 carries both earlier calls and their results, in order, rebuilt from the store.
  const last = roots[2].messages;
  expect(last.filter((m) => m.role === 'assistant').map((m) => m.tool_calls?.[0].id)).toEqual(['call_0', 'call_1']);
  expect(last.filter((m) => m.role === 'tool').map((m) => m.tool_call_id)).toEqual(['call_0', 'call_1']);
  // The first root prompt holds the description and a 500-character preview, not the 100K-character document.
  const first = JSON.stringify(roots[0].messages);
  expect(first.length).toBeLessThan(8_000);
  expect(first).not.toContain('needle needle'); // the document's tail
});
