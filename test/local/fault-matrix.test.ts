/**
 * The fault matrix (issue 10) on the local engine: the definition from lib/ run by aws-local-stepfunctions,
 * the same handlers, the durable on-disk store, and one injected fault per run at every crash point x fault
 * kind. Each run must end as the unfaulted run does: same answer, the root model answering once per turn
 * (a reply lost between the model and its write is the one exception, counted), no cell executed twice,
 * sub-calls counted once, turns 1..n with none duplicated or lost, no sandbox session left running.
 * The counts are written to docs/reliability.md (the table is printed when RLM_PRINT_MATRIX=1).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScriptedModel, type Script } from '../../lambdas/adapters/models';
import { ModelInvocationError, SandboxUnavailableError } from '../../lambdas/core/errors';
import type { LanguageModel } from '../../lambdas/core/ports';
import { LocalEngine } from '../../bin/local/local-engine';
import { toFileUri } from '../../lambdas/adapters/documents';
import { CountingModel, FaultInjector, LedgerSandbox, type FaultKind, type FaultPoint } from './fault-kit';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-faults-'));
const doc = path.join(dir, 'doc.txt');
writeFileSync(doc, 'hello');

/** Turn 1: two cells (the second makes 2 sub-calls); turn 2: one cell; turn 3: FINAL. Answer `a=11`. */
const SCRIPT: Script = { root: [{ code: ['a = 1', 'sub 2'] }, { code: 'a += 10' }, { code: 'FINAL' }], sub: { default: 'ok' } };
const CELLS = ['a = 1', 'sub 2', 'a += 10', 'FINAL'];

interface Outcome {
  status: string;
  answer: string | null;
  rootReplies: number;
  executions: string[];
  subCalls: number;
  subCallsMade: number;
  turnIndexes: number[];
  iterations: number;
  openSessions: number;
  interrupted: number;
  fired: boolean;
}

/** A crash point; `setup` is a first fault that leads the run there (e.g. a throttled cell, to reach `cell_not_run`). */
type Point = FaultPoint & { label: string; kinds?: FaultKind[]; setup?: FaultPoint & { kind: FaultKind } };

async function runWith(point: Point | undefined, kind: FaultKind, failTurn?: number): Promise<Outcome> {
  const injector = new FaultInjector(point, kind);
  const setup = new FaultInjector(point?.setup, point?.setup?.kind ?? 'throttle');
  const base = new ScriptedModel(SCRIPT, { source: 'matrix' });
  const model = new CountingModel(base, failTurn ? { nth: failTurn, error: () => new ModelInvocationError('access denied (not retryable)') } : undefined);
  // Sub-calls go through the injector too (`model.sub`); `effective` counts those that reached the model.
  let effective = 0;
  const subModel: LanguageModel = { description: 'sub', converse: async (r, o) => { const res = await base.converse(r, o); effective += 1; return res; } };
  const sandbox = new LedgerSandbox(injector.wrapModel(setup.wrapModel(subModel)));
  const engine = await LocalEngine.start({
    model, sandbox, stateDir: path.join(dir, `state-${Math.random().toString(36).slice(2)}`),
    runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' }, retryDelayOverrideMs: 0,
    wrapDeps: (deps) => injector.wrap(setup.wrap(deps)),
  });
  try {
    const summary = await engine.run({ question: 'q', documents: [toFileUri(doc)] });
    const run = await engine.deps.store.getRun(summary.runId);
    const turns = await engine.deps.store.listTurns(summary.runId);
    return {
      status: summary.status, answer: summary.answer, rootReplies: model.rootReplies, executions: sandbox.executions,
      subCalls: run.totals.subCalls, subCallsMade: effective, turnIndexes: turns.map((t) => t.index),
      iterations: run.iterations, openSessions: sandbox.open.size, fired: injector.fired && (!point?.setup || setup.fired),
      interrupted: turns.flatMap((t) => t.cells).filter((c) => /^Interrupted/.test(c.modelOutput)).length,
    };
  } finally {
    await engine.close();
  }
}

const KINDS: FaultKind[] = ['throttle', '5xx', 'drop', 'kill-before', 'kill-after'];
/** Crash points of a successful run. `kinds` limits the kinds that exist there (see docs/reliability.md). */
const POINTS: Point[] = [
  { label: 'StartRun: sandbox start', op: 'sandbox.start' },
  { label: 'StartRun: between sandbox start and run creation / creating the run', op: 'store.createRun' },
  { label: 'RootTurn 2: root model call', op: 'model.root', nth: 2 },
  { label: 'RootTurn 1: recording the reply (pending turn)', op: 'store.putStep:reply', nth: 1 },
  { label: 'RootTurn 1: recording cell 1 started', op: 'store.putStep:cell_started', nth: 1 },
  { label: 'RootTurn 1: during cell 1', op: 'sandbox.execute', nth: 1 },
  { label: 'RootTurn 1: recording cell 1 not run (after a sandbox throttle)', op: 'store.putStep:cell_not_run', nth: 1, setup: { op: 'sandbox.execute', nth: 1, kind: 'throttle' } },
  { label: 'RootTurn 1: the first sub-call of cell 2', op: 'model.sub', nth: 1 },
  { label: 'RootTurn 1: recording cell 2\'s sub-calls as they end', op: 'store.putStep:sub_calls', nth: 1 },
  { label: 'RootTurn 1: recording cell 2 (its 2 sub-calls)', op: 'store.putStep:cell_done', nth: 2 },
  { label: 'RootTurn 2: writing the turn', op: 'store.putTurn', nth: 2 },
  { label: 'RootTurn 1: advancing the run item', op: 'store.advanceRun', nth: 1 },
  { label: 'FinalizeRun: stopping the sandbox', op: 'sandbox.stop' },
  { label: 'FinalizeRun: marking the run succeeded', op: 'store.finishRun' },
  { label: 'FinalizeRun: writing the artifacts', op: 'documents.putArtifact', kinds: ['kill-before', 'kill-after'] },
];

/** Where a cell's effect is lost (it was recorded started, then never ran): the model is told; the answer then lacks `a = 1`. */
const cellNeverRan = (op: string, kind: FaultKind) =>
  (op === 'store.putStep:cell_started' && kind === 'kill-after') || (op === 'sandbox.execute' && kind === 'kill-before') ||
  (op === 'store.putStep:cell_not_run' && kind === 'kill-before');
/** Where the cell ran but its result was lost: reported as interrupted, effect kept. */
const cellResultLost = (op: string, kind: FaultKind) =>
  (op === 'sandbox.execute' && (kind === 'drop' || kind === 'kill-after')) || resultDied(op, kind) || (op === 'model.sub' && kind.startsWith('kill'));
/** Where the model answered but the reply was lost before it was recorded: one extra root call. */
const replyLost = (op: string, kind: FaultKind) =>
  (op === 'model.root' && (kind === 'drop' || kind === 'kill-after')) || (op === 'store.putStep:reply' && kind === 'kill-before');
/** Where the invocation died with the cell's result in memory: reported as interrupted (its sub-calls were journalled). */
const resultDied = (op: string, kind: FaultKind) =>
  (op === 'store.putStep:cell_done' && kind === 'kill-before') || (op === 'store.putStep:sub_calls' && (kind === 'kill-before' || kind === 'kill-after'));
/**
 * Sub-calls counted and made (reaching the model). A started sub-call counts (a failed one is an error for
 * the code); only the invocation dying before the sub-calls reached the store leaves them uncounted.
 */
function subCallsOf(op: string, kind: FaultKind): { counted: number; made: number } {
  if (op === 'store.putStep:sub_calls' && kind === 'kill-before') return { counted: 0, made: 2 };
  if (op !== 'model.sub') return { counted: 2, made: 2 };
  // The invocation died in the call: it counts as started (an unfinished error), whether it reached the model or not.
  if (kind === 'kill-before') return { counted: 1, made: 0 };
  if (kind === 'kill-after') return { counted: 1, made: 1 };
  return { counted: 2, made: kind === 'drop' ? 2 : 1 };
}
/** A session started by an invocation that died before it could record or stop it (see docs/reliability.md). */
const sessionLeaks = (op: string, kind: FaultKind) => op === 'sandbox.start' && (kind === 'drop' || kind === 'kill-after');

const table: string[] = [];
let baseline: Outcome;

beforeAll(async () => {
  baseline = await runWith(undefined, 'throttle');
});

afterAll(() => {
  if (process.env.RLM_PRINT_MATRIX) process.stdout.write(table.join('\n') + '\n');
});

test('the unfaulted run: answer a=11 in 3 turns, 4 cells, 2 sub-calls, no session left', () => {
  expect(baseline).toMatchObject({ status: 'succeeded', answer: 'a=11', rootReplies: 3, subCalls: 2, turnIndexes: [1, 2, 3], iterations: 3, openSessions: 0, interrupted: 0 });
  expect(baseline.executions).toEqual(CELLS);
});

const cases = POINTS.flatMap((p) => (p.kinds ?? KINDS).map((kind) => [p.label, kind, p] as const));

test.each(cases)('%s x %s', async (_label, kind, point) => {
  const o = await runWith(point, kind);
  expect(o.fired).toBe(true);
  expect(o.status).toBe('succeeded');
  expect(o.turnIndexes).toEqual([1, 2, 3]);
  expect(o.iterations).toBe(3);
  expect(o.rootReplies).toBe(replyLost(point.op, kind) ? 4 : 3);
  expect(new Set(o.executions).size).toBe(o.executions.length); // no cell executed twice
  // Made once, counted once (core/run/sub-call-journal.ts).
  expect({ counted: o.subCalls, made: o.subCallsMade }).toEqual(subCallsOf(point.op, kind));
  if (cellNeverRan(point.op, kind)) {
    expect(o.answer).toBe('a=10');
    expect(o.interrupted).toBe(1);
    expect(o.executions).toEqual(CELLS.slice(1));
  } else {
    expect(o.answer).toBe('a=11');
    expect(o.interrupted).toBe(cellResultLost(point.op, kind) ? 1 : 0);
    expect(o.executions).toEqual(CELLS);
  }
  expect(o.openSessions).toBe(sessionLeaks(point.op, kind) ? 1 : 0);
  table.push(`| ${point.label} | ${kind} | ${o.status} | ${o.answer} | ${o.rootReplies} | ${o.executions.length} | ${o.subCallsMade} | ${o.subCalls} | ${o.turnIndexes.join(',')} | ${o.interrupted} | ${o.openSessions} |`);
});

/** RecordFailure's own crash points: turn 2's root call fails for good (not retryable). */
const FAILURE_POINTS: Point[] = [
  { label: 'RecordFailure: stopping the sandbox', op: 'sandbox.stop' },
  { label: 'RecordFailure: marking the run failed', op: 'store.finishRun' },
  { label: 'RecordFailure: writing the artifacts', op: 'documents.putArtifact', kinds: ['kill-before', 'kill-after'] },
];
const failureCases = FAILURE_POINTS.flatMap((p) => (p.kinds ?? KINDS).map((kind) => [p.label, kind, p] as const));

test.each(failureCases)('%s x %s: the run ends failed with its transcript, never left running, no session left', async (_label, kind, point) => {
  const o = await runWith(point, kind, 2);
  expect(o.fired).toBe(true);
  expect(o.status).toBe('failed');
  expect(o.turnIndexes).toEqual([1]);
  expect(o.executions).toEqual(CELLS.slice(0, 2));
  expect(o.subCalls).toBe(2);
  expect(o.openSessions).toBe(0);
  table.push(`| ${point.label} | ${kind} | ${o.status} | - | ${o.rootReplies} | ${o.executions.length} | ${o.subCallsMade} | ${o.subCalls} | ${o.turnIndexes.join(',')} | ${o.interrupted} | ${o.openSessions} |`);
});

test.each([
  ['a transient error (retried 6 times)', () => new SandboxUnavailableError('stop endpoint unavailable'), 7],
  ['an unknown error (not retried)', () => new Error('stop endpoint unreachable'), 1],
] as const)('a sandbox that can never be stopped, with %s, still leaves the run failed, not running (then RecordFailure\'s Catch)', async (_label, stopError, expectedStops) => {
  const base = new ScriptedModel(SCRIPT, { source: 'matrix' });
  const model = new CountingModel(base, { nth: 2, error: () => new ModelInvocationError('access denied (not retryable)') });
  const sandbox = new LedgerSandbox(base);
  let stops = 0;
  sandbox.stop = async () => { stops += 1; throw stopError(); };
  const engine = await LocalEngine.start({
    model, sandbox, stateDir: path.join(dir, 'state-unstoppable'), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' }, retryDelayOverrideMs: 0,
  });
  try {
    const summary = await engine.run({ question: 'q', documents: [toFileUri(doc)] });
    expect(summary.status).toBe('failed');
    expect((await engine.deps.store.getRun(summary.runId)).status).toBe('failed');
    expect(stops).toBe(expectedStops);
  } finally {
    sandbox.stop = async () => undefined;
    await engine.close();
  }
});
