/**
 * The local engine's cancellation seam with real parts (aws-local-stepfunctions, dynalite, Pyodide):
 * cancel() during a cell whose sub-call is in flight ends the run `cancelled` promptly with its turns,
 * never starts a replacement sandbox session, and later runs on the engine are cancelled at once.
 * Sub-calls that are throttled are retried by the engine's RetryingModel and reported through progress.
 * Tasks are not timed out at aws-local-stepfunctions' 60 s default.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScriptedModel } from '../../lambdas/adapters/models';
import { ModelThrottledError } from '../../lambdas/core/errors';
import type { LanguageModel, ModelCallOptions, ModelRequest, ModelResponse, RetryInfo } from '../../lambdas/core/ports';
import { LocalEngine } from '../../bin/local/local-engine';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-cancel-'));
const doc = path.join(dir, 'doc.txt');
writeFileSync(doc, 'alpha beta gamma\n');

/** Records calls and whether their signal fired. */
class Spy implements LanguageModel {
  readonly description = 'spy';
  readonly calls: Array<{ role: string; aborted: () => boolean }> = [];
  constructor(private readonly inner: LanguageModel, private throttles = 0, private readonly throttleRole = 'sub') {}
  async converse(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    this.calls.push({ role: request.role, aborted: () => options.signal?.aborted === true });
    if (request.role === this.throttleRole && this.throttles > 0) {
      this.throttles--;
      throw new ModelThrottledError('simulated 429');
    }
    return this.inner.converse(request, options);
  }
}

test('cancel() mid-cell: the sub-call is aborted, the run ends cancelled with its first turn, no new session', async () => {
  const spy = new Spy(new ScriptedModel({
    root: [{ code: 'print("first turn")' }, { code: 'print(llm_query("slow"))' }, { code: 'FINAL("never")' }],
    sub: { rules: [{ match: 'slow', reply: 'late', latencyMs: 120_000 }] },
  }));
  const engine = await LocalEngine.start({ model: spy, stateDir: path.join(dir, 'state'), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' } });
  const starts: string[] = [];
  const sandbox = engine.deps.sandbox;
  const realStart = sandbox.start.bind(sandbox);
  sandbox.start = async (o) => { starts.push(o.runId); return realStart(o); };
  try {
    const running = engine.run({ question: 'q', documents: [`file://${doc}`] }, { runId: 'cancel-me' });
    for (let i = 0; i < 600 && !spy.calls.some((c) => c.role === 'sub'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(spy.calls.filter((c) => c.role === 'sub')).toHaveLength(1);
    const t0 = Date.now();
    engine.cancel('cancelled by the test');
    const summary = await running;
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(summary).toMatchObject({ runId: 'cancel-me', status: 'cancelled', stopReason: 'cancelled', stopDetail: 'cancelled by the test', answer: null });
    expect(spy.calls.find((c) => c.role === 'sub')?.aborted()).toBe(true);
    expect(starts).toEqual(['cancel-me']); // the stopped session was not replaced
    const trajectory = JSON.parse(readFileSync(summary.trajectoryPath as string, 'utf8'));
    expect(trajectory.run).toMatchObject({ status: 'cancelled', stopReason: 'cancelled' });
    expect(trajectory.turns[0].cells[0].fullOutput).toContain('first turn');
    expect(existsSync(path.join(dir, 'state', 'results', 'cancel-me', 'result.json'))).toBe(true);
    expect(spy.calls.filter((c) => c.role === 'root').length).toBeLessThanOrEqual(2);

    const later = await engine.run({ question: 'q', documents: [`file://${doc}`] }, { runId: 'after-cancel' });
    expect(later).toMatchObject({ status: 'cancelled', iterations: 0 });
    expect(starts).toEqual(['cancel-me']);
  } finally {
    await engine.close();
  }
}, 120_000);

test('a throttled sub-call is retried by the engine and each retry is reported', async () => {
  const spy = new Spy(new ScriptedModel({
    root: [{ code: 'FINAL(llm_query("word?"))' }],
    sub: { default: 'beta' },
  }), 2);
  const retries: Array<{ runId: string } & RetryInfo> = [];
  const engine = await LocalEngine.start({
    model: spy, stateDir: path.join(dir, 'state2'), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' },
    progress: { retrying: (info) => retries.push(info) },
  });
  try {
    const summary = await engine.run({ question: 'q', documents: [`file://${doc}`] }, { runId: 'retry-run' });
    expect(summary).toMatchObject({ status: 'succeeded', answer: 'beta' });
    expect(spy.calls.filter((c) => c.role === 'sub')).toHaveLength(3);
    expect(retries.map((r) => [r.runId, r.role, r.attempt, r.error])).toEqual([
      ['retry-run', 'sub', 1, 'ModelThrottledError'], ['retry-run', 'sub', 2, 'ModelThrottledError'],
    ]);
  } finally {
    await engine.close();
  }
}, 120_000);

test('throttled root calls are retried by the state machine, and each retry is reported too', async () => {
  const spy = new Spy(new ScriptedModel({ root: [{ code: 'FINAL("done")' }] }), 2, 'root');
  const retries: Array<{ runId: string } & RetryInfo> = [];
  const engine = await LocalEngine.start({
    model: spy, stateDir: path.join(dir, 'state3'), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' },
    progress: { retrying: (info) => retries.push(info) }, retryDelayOverrideMs: 0,
  });
  try {
    expect(await engine.run({ question: 'q', documents: [`file://${doc}`] }, { runId: 'root-retry' })).toMatchObject({ status: 'succeeded', answer: 'done' });
    expect(retries).toEqual([
      { runId: 'root-retry', role: 'root', attempt: 1, maxAttempts: 6, delayMs: 0, error: 'ModelThrottledError' },
      { runId: 'root-retry', role: 'root', attempt: 2, maxAttempts: 6, delayMs: 0, error: 'ModelThrottledError' },
    ]);
  } finally {
    await engine.close();
  }
}, 120_000);

test('a root turn longer than 60 s succeeds locally (aws-local-stepfunctions would time the task out at 60 s)', async () => {
  const engine = await LocalEngine.start({
    model: new ScriptedModel({ root: [{ code: 'FINAL("slow but fine")', latencyMs: 62_000 }] }),
    stateDir: path.join(dir, 'state4'), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' },
  });
  try {
    expect(await engine.run({ question: 'q', documents: [`file://${doc}`] })).toMatchObject({ status: 'succeeded', answer: 'slow but fine' });
  } finally {
    await engine.close();
  }
}, 180_000);
