/**
 * The whole local pipeline with real parts: the definition from lib/ executed by aws-local-stepfunctions,
 * the same task handlers, dynalite, Pyodide and local files. Only the LLM is scripted.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScriptedModel, type Script } from '../../lambdas/adapters/models';
import { ModelThrottledError } from '../../lambdas/core/errors';
import type { LanguageModel, ModelRequest, ModelResponse } from '../../lambdas/core/ports';
import { LocalEngine } from '../../bin/local/local-engine';

/** Wraps a model: records every request, and can fail the first N root calls with a throttle. */
class SpyModel implements LanguageModel {
  readonly description = 'spy';
  readonly requests: ModelRequest[] = [];
  constructor(private readonly inner: LanguageModel, private throttleFirst = 0) {}
  async converse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    if (request.role === 'root' && this.throttleFirst > 0) {
      this.throttleFirst -= 1;
      throw new ModelThrottledError('simulated ThrottlingException');
    }
    return this.inner.converse(request);
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-e2e-'));
const NEEDLE_CODE = 'ZX-' + Math.floor(Math.random() * 900000 + 100000);
let bigDoc: string;
let expectedErrors: number;

beforeAll(() => {
  // ~6 MB of log lines with a random number of ERROR lines and one planted secret code.
  const lines: string[] = [];
  expectedErrors = 0;
  for (let i = 0; i < 90_000; i++) {
    const isError = Math.random() < 0.01;
    if (isError) expectedErrors += 1;
    lines.push(`2026-11-24T00:00:${String(i % 60).padStart(2, '0')}Z node-${i % 17} ${isError ? 'ERROR' : 'INFO'} request ${i} handled in ${i % 997} ms`);
    if (i === 61_234) lines.push(`2026-11-24T00:00:00Z vault NOTICE the access code is ${NEEDLE_CODE}`);
  }
  bigDoc = lines.join('\n');
  writeFileSync(path.join(dir, 'big.log'), bigDoc);
  writeFileSync(path.join(dir, 'binary.bin'), Buffer.from([0, 1, 2, 0, 255, 254]));
});

async function withEngine<T>(model: LanguageModel, fn: (e: LocalEngine) => Promise<T>, runDefaults = {}): Promise<T> {
  const engine = await LocalEngine.start({ model, stateDir: path.join(dir, 'state'), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted', ...runDefaults }, retryDelayOverrideMs: 0 });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

test('a multi-megabyte document reaches FINAL_VAR with an answer computed in the sandbox', async () => {
  const script: Script = {
    root: [
      { text: 'Look first.', code: 'print(len(context)); print(context[:200])' },
      { code: "import re\nerrors = len(re.findall(r' ERROR ', context))\nhits = [l for l in context.splitlines() if 'access code' in l]\nprint(errors, hits)" },
      { code: "chunks = [context[i:i+2_000_000] for i in range(0, len(context), 2_000_000)]\nreplies = llm_query_batched(['Find the access code in:\\n' + c for c in chunks])\nprint(replies)\ncode = [r for r in replies if r.startswith('CODE ')][0].split()[1]\nanswer = f'{errors} errors; access code {code}'\nFINAL_VAR('answer')" },
    ],
    sub: { rules: [{ match: 'access code is (ZX-\\d+)', reply: 'CODE $1' }], default: 'none here' },
  };
  const spy = new SpyModel(new ScriptedModel(script, { source: 'test' }));
  const summary = await withEngine(spy, (e) => e.run({ question: 'How many errors, and what is the access code?', documents: [path.join(dir, 'big.log')] }));
  expect(summary.status).toBe('succeeded');
  expect(summary.stopReason).toBe('final');
  expect(summary.answer).toBe(`${expectedErrors} errors; access code ${NEEDLE_CODE}`);
  expect(summary.iterations).toBe(3);
  expect(summary.usage.subCalls).toBe(Math.ceil(bigDoc.length / 2_000_000));
  // The document never enters the root model's context: every root prompt stays small.
  const rootRequests = spy.requests.filter((r) => r.role === 'root');
  const sizes = rootRequests.map((r) => JSON.stringify(r.messages).length);
  expect(Math.max(...sizes)).toBeLessThan(20_000);
  expect(JSON.stringify(rootRequests[0].messages)).not.toContain(NEEDLE_CODE);
  const trajectory = JSON.parse(readFileSync(summary.trajectoryPath!, 'utf8'));
  expect(trajectory.turns).toHaveLength(3);
  expect(trajectory.run.contextChars).toBe(bigDoc.length);
});

test('at the iteration cap one last call without tools gives the answer, and the result says so', async () => {
  const script: Script = { root: [{ code: 'x = 1' }, { code: 'x += 1\nprint(x)' }, { text: 'Best guess: 2' }] };
  const spy = new SpyModel(new ScriptedModel(script, { source: 'test' }));
  const summary = await withEngine(spy, (e) => e.run({ question: 'q', documents: [path.join(dir, 'big.log')] }), { maxIterations: 2 });
  expect(summary).toMatchObject({ status: 'succeeded', stopReason: 'iteration_cap', answer: 'Best guess: 2', iterations: 3 });
  const last = spy.requests[spy.requests.length - 1];
  expect(last.tools ?? []).toHaveLength(0);
});

test('a reply with no code is nudged, never parsed for an answer; throttling is retried without duplicate turns', async () => {
  const script: Script = { root: [{ text: 'The answer is obviously 42. FINAL(42)' }, { code: 'FINAL(len(documents))' }] };
  const spy = new SpyModel(new ScriptedModel(script, { source: 'test' }), 2);
  const summary = await withEngine(spy, (e) => e.run({ question: 'q', documents: [path.join(dir, 'big.log')] }));
  expect(summary).toMatchObject({ status: 'succeeded', stopReason: 'final', answer: '1', iterations: 2 });
  expect(spy.requests.filter((r) => r.role === 'root')).toHaveLength(4); // 2 throttled + 2 real
  const second = spy.requests[spy.requests.length - 1];
  expect(JSON.stringify(second.messages)).toContain('No code was executed');
});

test('a failure keeps the transcript and records the error by name', async () => {
  const script: Script = { root: [{ code: 'print(1/0)' }] }; // runs out of root turns on turn 2
  const summary = await withEngine(new ScriptedModel(script, { source: 'test' }), async (e) => {
    const s = await e.run({ question: 'q', documents: [path.join(dir, 'big.log')] });
    const turns = await e.deps.store.listTurns(s.runId);
    expect(turns).toHaveLength(1);
    expect(turns[0].cells[0].fullOutput).toContain('ZeroDivisionError');
    return s;
  });
  expect(summary.status).toBe('failed');
  expect(summary.stopReason).toBe('error');
  expect(summary.error?.name).toBe('ScriptExhaustedError');
  expect(existsSync(summary.trajectoryPath!)).toBe(true);
});

test('bad documents fail the run with a clear error and a failed run record', async () => {
  const model = new ScriptedModel({ root: [{ code: 'FINAL(1)' }] }, { source: 'test' });
  await withEngine(model, async (e) => {
    const missing = await e.run({ question: 'what?', documents: [path.join(dir, 'nope.txt')] });
    expect(missing.status).toBe('failed');
    expect(missing.error?.name).toBe('DocumentError');
    expect(missing.error?.message).toContain('nope.txt');
    const run = await e.deps.store.getRun(missing.runId);
    expect(run.question).toBe('what?');
    const binary = await e.run({ question: 'what?', documents: [path.join(dir, 'binary.bin')] });
    expect(binary.error?.name).toBe('DocumentError');
    expect(binary.error?.message).toMatch(/binary/i);
  });
});
