/**
 * Caps hold inside a cell: the whole local pipeline (Step Functions emulation, dynalite, Pyodide) against a
 * real OpenAI-compatible HTTP server on loopback. The root model writes one cell that asks for 300
 * sub-calls; the server counts the sub-calls that actually reach it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OpenAICompatibleModel } from '../../lambdas/adapters/models';
import { LocalEngine } from '../../bin/local/local-engine';
import type { RunConfig, RunSummary } from '../../lambdas/core/types';
import type { PriceTable } from '../../lambdas/core/pricing';

type Msg = { role: string; content?: string | null };
type Body = { model: string; messages: Msg[]; tools?: unknown[] };

let server: Server;
let baseUrl: string;
/** What the server saw in the current test (cellOutputs: the conversation the final tool-less call got). */
const seen = { sub: 0, rootWithTools: 0, rootFinal: 0, cellOutputs: [] as string[] };
/** The cell the root model writes in the current test. */
let cellCode = '';

const reply = (message: Record<string, unknown>, finish: string) => ({
  id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage: { prompt_tokens: 100, completion_tokens: 20 },
});

function decide(body: Body) {
  const isRoot = body.messages.some((m) => m.role === 'system');
  if (!isRoot) {
    seen.sub++;
    return reply({ content: 'sub answer' }, 'stop');
  }
  if (!body.tools) {
    seen.rootFinal++;
    seen.cellOutputs = [JSON.stringify(body.messages)]; // the tool-less call carries the cells' output as text
    return reply({ content: 'best answer so far' }, 'stop');
  }
  seen.rootWithTools++;
  const results = body.messages.filter((m) => m.role === 'tool');
  // Keep asking for more code: only a cap can stop this run before the iteration limit.
  return reply({ content: null, tool_calls: [{ id: `call_${results.length}`, type: 'function', function: { name: 'execute_python', arguments: JSON.stringify({ code: cellCode }) } }] }, 'tool_calls');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(decide(JSON.parse(data) as Body)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function runWith(code: string, limits: Partial<RunConfig>, prices?: PriceTable): Promise<RunSummary> {
  seen.sub = 0; seen.rootWithTools = 0; seen.rootFinal = 0; seen.cellOutputs = [];
  cellCode = code;
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-caps-'));
  writeFileSync(path.join(dir, 'doc.txt'), 'some text\n'.repeat(100));
  const model = new OpenAICompatibleModel({ baseUrl, model: 'local-model' });
  const engine = await LocalEngine.start({
    model, stateDir: path.join(dir, 'state'), ...(prices ? { prices } : {}),
    runDefaults: { rootModelId: 'local-model', subModelId: 'local-model', maxIterations: 4, subConcurrency: 4, ...limits },
  });
  try {
    return await engine.run({ question: 'q', documents: [path.join(dir, 'doc.txt')] });
  } finally {
    await engine.close();
  }
}

const LOOP = "r = [llm_query('q%d' % i) for i in range(300)]\nprint('refused', sum(x.startswith('Error:') and 'cap reached' in x for x in r))";
const BATCH = "r = llm_query_batched(['q%d' % i for i in range(300)])\nprint('refused', sum(x.startswith('Error:') and 'cap reached' in x for x in r))";

test('300 llm_query calls under maxSubCalls 20: at most 20 reach the server, the run ends as limit', async () => {
  const summary = await runWith(LOOP, { maxSubCalls: 20 });
  expect(seen.sub).toBeLessThanOrEqual(20);
  expect(seen.sub).toBeGreaterThan(0);
  expect(summary).toMatchObject({ stopReason: 'limit', answer: 'best answer so far' });
  expect(summary.stopDetail).toMatch(/maxSubCalls/);
  expect(seen.rootWithTools).toBe(1); // the cap stopped the run after the first cell
  expect(seen.rootFinal).toBe(1);
  expect(seen.cellOutputs[0]).toContain('refused 280');
  expect(summary.usage.subCalls).toBe(seen.sub);
}, 120_000);

test('a 300-prompt llm_query_batched under maxSubCalls 20: at most 20 (+ concurrency) reach the server', async () => {
  const summary = await runWith(BATCH, { maxSubCalls: 20 });
  expect(seen.sub).toBeLessThanOrEqual(20 + 4);
  expect(summary.stopReason).toBe('limit');
  expect(summary.stopDetail).toMatch(/maxSubCalls/);
  expect(seen.cellOutputs[0]).toMatch(/refused 2[78]\d/);
}, 120_000);

test('a token cap stops a run inside a cell', async () => {
  // The root turn uses 120 tokens; each sub-call 120: 1,000 tokens leave room for about 8 sub-calls.
  const summary = await runWith(BATCH, { maxTotalTokens: 1_000 });
  expect(seen.sub).toBeLessThanOrEqual(8 + 4);
  expect(seen.sub).toBeGreaterThanOrEqual(7);
  expect(summary.stopReason).toBe('limit');
  expect(summary.stopDetail).toMatch(/maxTotalTokens/);
  expect(seen.rootWithTools).toBe(1);
}, 120_000);

test('a cost cap stops a run inside a cell', async () => {
  // $1,000 per 1M tokens: the root turn costs $0.12, each sub-call $0.12; $1 leaves room for about 8.
  const prices = { 'local-model': { input: 1000, output: 1000 } };
  const summary = await runWith(LOOP, { maxCostUsd: 1 }, prices);
  expect(seen.sub).toBeLessThanOrEqual(8);
  expect(seen.sub).toBeGreaterThanOrEqual(7);
  expect(summary.stopReason).toBe('limit');
  expect(summary.stopDetail).toMatch(/maxCostUsd/);
  expect(seen.rootWithTools).toBe(1);
}, 120_000);
