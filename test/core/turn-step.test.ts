/**
 * The turn step's harder paths, against the real store (dynalite) and the scripted model, with a
 * scriptable sandbox double at the port (Pyodide itself is tested in test/adapters and test/local).
 */
import { emptySubStats } from '../../lambdas/core/cell-report';
import { FULL_OUTPUT_INLINE_BYTES } from '../../lambdas/core/run/spill';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { SandboxSessionLostError } from '../../lambdas/core/errors';
import { noMetrics, silentLogger, type Sandbox, type SandboxSession } from '../../lambdas/core/ports';
import { finalizeRun, startRun } from '../../lambdas/core/run-lifecycle';
import { runRootTurn } from '../../lambdas/core/turn-step';
import type { CellResult } from '../../lambdas/core/types';
import { DynamoConversationStore } from '../../lambdas/adapters/dynamodb';
import { createConversationTable, startDynalite, type EmbeddedDynalite } from '../../lambdas/adapters/dynamodb/embedded-dynalite';
import { ScriptedModel, type Script } from '../../lambdas/adapters/models';

type CellFn = (code: string) => Partial<CellResult> | Error;

/** A sandbox whose cells answer through `onCell`; sessions can be made to vanish. */
class ScriptableSandbox implements Sandbox {
  readonly description = 'scriptable';
  started = 0;
  executed: string[] = [];
  lost = new Set<string>();
  constructor(public onCell: CellFn = () => ({})) {}
  private session(id: string): SandboxSession {
    return {
      sessionId: id,
      execute: async (code) => {
        if (this.lost.has(id)) throw new SandboxSessionLostError(`session ${id} expired`);
        this.executed.push(code);
        const r = this.onCell(code);
        if (r instanceof Error) throw r;
        return { stdout: '', stderr: '', timedOut: false, raised: false, durationMs: 3, sub: emptySubStats(), ...r };
      },
      close: async () => {},
    };
  }
  async start() {
    this.started += 1;
    return { session: this.session(`s${this.started}`), loaded: { documents: [{ name: 'doc', uri: 'mem://doc', chars: 10 }], totalChars: 10, preview: 'preview' } };
  }
  async resume(id: string) {
    if (this.lost.has(id)) throw new SandboxSessionLostError(`session ${id} expired`);
    return this.session(id);
  }
  async stop() {}
}

let db: EmbeddedDynalite;
let n = 0;
beforeAll(async () => {
  db = await startDynalite();
  await createConversationTable(db.client, 'turns');
});
afterAll(() => db.close());

async function setup(script: Script, sandbox = new ScriptableSandbox()) {
  const artifacts = new Map<string, string>();
  const store = new DynamoConversationStore({ client: db.client, tableName: 'turns' });
  const model = new ScriptedModel(script, { source: 'test' });
  const deps: EngineDeps = {
    store, sandbox, model, logger: silentLogger, metrics: noMetrics, events: { runFinished: async () => {} },
    documents: {
      resolve: async (uri) => [{ name: 'doc', uri, chars: 10 }],
      readText: async () => 'x',
      putArtifact: async (key, body) => { artifacts.set(key, body); return `mem://${key}`; },
    },
  };
  const runId = `run-${++n}`;
  await startRun(deps, { runId, request: { question: 'q', documents: ['mem://doc'] } }, { rootModelId: 'scripted', subModelId: 'scripted' });
  return { deps, runId, sandbox, artifacts, store };
}

test('FINAL in the first of two tool calls ends the run; the second is answered, not executed', async () => {
  const { deps, runId, sandbox } = await setup({ root: [{ code: ['FINAL("a")', 'print("never")'] }] });
  sandbox.onCell = (code) => (code.startsWith('FINAL') ? { final: { value: 'a' } } : { stdout: 'ran' });
  const state = await runRootTurn(deps, { runId });
  expect(state).toMatchObject({ done: true, stopReason: 'final', iteration: 1 });
  expect(sandbox.executed).toEqual(['FINAL("a")']);
  const [turn] = await deps.store.listTurns(runId);
  expect(turn.cells[1].modelOutput).toMatch(/Not executed/);
});

test('a lost session is replaced, the model is told, and the run goes on', async () => {
  const { deps, runId, sandbox, store } = await setup({ root: [{ code: 'x = 1' }, { code: 'print(x)' }] });
  await runRootTurn(deps, { runId });
  sandbox.lost.add('s1');
  await runRootTurn(deps, { runId });
  const turns = await store.listTurns(runId);
  expect(sandbox.started).toBe(2);
  expect(turns[1].cells[0].modelOutput).toMatch(/variables from earlier turns are gone/);
  expect((await store.getRun(runId)).sandboxSessionId).toBe('s2');
});

test('an output larger than the inline limit is stored whole as an artifact', async () => {
  const big = 'y'.repeat(FULL_OUTPUT_INLINE_BYTES + 5_000);
  const { deps, runId, artifacts, store } = await setup({ root: [{ code: 'print(big)' }] }, new ScriptableSandbox(() => ({ stdout: big })));
  await runRootTurn(deps, { runId });
  const [turn] = await store.listTurns(runId);
  const cell = turn.cells[0];
  expect(cell.fullOutputUri).toMatch(/outputs\/turn-0001-cell-1\.txt$/);
  expect(artifacts.get(cell.fullOutputUri!.replace('mem://', ''))).toBe(big);
  expect(cell.modelOutput.length).toBeLessThanOrEqual(20_000 + 100);
  expect(cell.modelOutput).toMatch(/characters omitted/);
});

test('with too little time left before the deadline, cells are not started and the model is told', async () => {
  const { deps, runId, sandbox, store } = await setup({ root: [{ code: 'slow()' }] });
  await runRootTurn(deps, { runId }, { deadline: Date.now() + 1_000 });
  expect(sandbox.executed).toEqual([]);
  const [turn] = await store.listTurns(runId);
  expect(turn.cells[0].modelOutput).toMatch(/ran out of time/);
});

test('the cell budget is what is left after replacing a lost session, not before', async () => {
  const { deps, runId, sandbox } = await setup({ root: [{ code: 'x = 1' }, { code: 'print(x)' }] });
  await runRootTurn(deps, { runId });
  sandbox.lost.add('s1');
  const realStart = sandbox.start.bind(sandbox);
  let clock = Date.now();
  deps.now = () => clock;
  sandbox.start = async () => { clock += 60_000; return realStart(); }; // the replacement takes a minute
  await runRootTurn(deps, { runId }, { deadline: clock + 70_000 });
  expect(sandbox.executed).toEqual(['x = 1']); // 10 s left minus the safety margin: not started
  const turns = await deps.store.listTurns(runId);
  expect(turns[1].cells[0].modelOutput).toMatch(/ran out of time/);
  expect(turns[1].cells[0].modelOutput).toMatch(/variables from earlier turns are gone/);
});

test('a crash between the turn write and the run update is repaired by the retry without calling the model again', async () => {
  const { deps, runId, store } = await setup({ root: [{ code: 'x = 1' }, { code: 'FINAL(x)' }] });
  const realAdvance = store.advanceRun.bind(store);
  let crash = true;
  store.advanceRun = async (...args) => {
    if (crash) { crash = false; throw new Error('Lambda timed out'); }
    return realAdvance(...args);
  };
  const converse = jest.spyOn(deps.model, 'converse');
  await expect(runRootTurn(deps, { runId })).rejects.toThrow('Lambda timed out');
  expect((await store.getRun(runId)).iterations).toBe(0);
  const retried = await runRootTurn(deps, { runId });
  expect(retried).toMatchObject({ iteration: 2 });
  expect((await store.listTurns(runId)).map((t) => t.index)).toEqual([1, 2]);
  expect((await store.getRun(runId)).iterations).toBe(2);
  expect(converse).toHaveBeenCalledTimes(2); // turn 1 once (not repeated), then turn 2
});

test('the result and the run-finished event price the run with the deployment price table, as the turns were', async () => {
  const { deps, runId, artifacts, store } = await setup({ root: [{ code: 'FINAL(1)' }] }, new ScriptableSandbox(() => ({ final: { value: '1' } })));
  deps.prices = { scripted: { input: 1_000_000, output: 0 } }; // $1 per input token
  await runRootTurn(deps, { runId });
  const ended = await finalizeRun(deps, runId);
  const recorded = (await store.getRun(runId)).totals;
  expect(recorded.costUsd).toBe(recorded.rootInputTokens);
  expect(ended.costUsd).toBe(recorded.costUsd);
  expect(JSON.parse(artifacts.get(`${runId}/result.json`)!).costUsd).toBe(recorded.costUsd);
});
