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
import { CountingModel, FaultInjector, LedgerSandbox, type FaultKind, type FaultPoint, type SetupKind } from './fault-kit';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-faults-'));
const doc = path.join(dir, 'doc.txt');
writeFileSync(doc, 'hello');

/**
 * Turn 1: two cells (the second makes 2 sub-calls); turn 2: one cell printing 40,000 characters (its output
 * spills to an artifact); turn 3: FINAL. Answer `a=11`.
 */
const SCRIPT: Script = { root: [{ code: ['a = 1', 'sub 2'] }, { code: 'a += 10 # print 40000' }, { code: 'FINAL' }], sub: { default: 'ok' } };
const CELLS = ['a = 1', 'sub 2', 'a += 10 # print 40000', 'FINAL'];

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
  /** Cells that told the model its session was lost and replaced. */
  notices: number;
  fired: boolean;
}

/** A crash point; `setup` is a first fault that leads the run there (e.g. a throttled cell, to reach `cell_not_run`). */
type Point = FaultPoint & { label: string; kinds?: FaultKind[]; setup?: FaultPoint & { kind: SetupKind } };

async function runWith(point: Point | undefined, kind: FaultKind, failTurn?: number): Promise<Outcome> {
  const injector = new FaultInjector(point, kind);
  const setup = new FaultInjector(point?.setup, point?.setup?.kind ?? 'throttle');
  const base = new ScriptedModel(SCRIPT, { source: 'matrix' });
  const model = new CountingModel(base, failTurn ? { nth: failTurn, error: () => new ModelInvocationError('access denied (not retryable)') } : undefined);
  // Sub-calls go through the injector too (`model.sub`); `effective` counts those that reached the model.
  let effective = 0;
  const subModel: LanguageModel = { description: 'sub', converse: async (r, o) => { const res = await base.converse(r, o); effective += 1; return res; } };
  const sandbox = new LedgerSandbox(injector.wrapModel(setup.wrapModel(subModel)));
  sandbox.dead = () => {
    const died = injector.dead;
    injector.dead = undefined; // the retried invocation is a new one
    return died;
  };
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
      notices: turns.flatMap((t) => t.cells).filter((c) => c.result.notices?.some((n) => /session was lost/.test(n))).length,
    };
  } finally {
    await engine.close();
  }
}

const KINDS: FaultKind[] = ['throttle', '5xx', 'drop', 'kill-before', 'kill-after'];
/** RootTurn 2 finds its session lost (a new one replaces it; `a` is gone, so the run answers `a=10`). */
const LOSE: Point['setup'] = { op: 'sandbox.resume', nth: 2, kind: 'lose' };
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
  { label: 'RootTurn 1: the sub-call log, as cell 2\'s first sub-call starts', op: 'store.subCallLog', nth: 1 },
  { label: 'RootTurn 1: the sub-call log, as cell 2\'s second sub-call starts (with the first one\'s record)', op: 'store.subCallLog', nth: 2 },
  { label: 'RootTurn 1: cell 2\'s sub-calls as steps (after the sub-call log failed)', op: 'store.putStep:sub_calls', nth: 1, setup: { op: 'store.subCallLog', nth: 1, kind: 'throttle' } },
  { label: 'RootTurn 1: recording cell 2 (its 2 sub-calls)', op: 'store.putStep:cell_done', nth: 2 },
  { label: 'RootTurn 2: spilling cell 1\'s output to an artifact', op: 'documents.putArtifact', nth: 1 },
  { label: 'RootTurn 2: writing the turn', op: 'store.putTurn', nth: 2 },
  { label: 'RootTurn 1: advancing the run item', op: 'store.advanceRun', nth: 1 },
  { label: 'RootTurn 2, session lost: recording the new session in the turn\'s steps', op: 'store.putStep:session_replaced', nth: 1, setup: LOSE },
  { label: 'RootTurn 2, session lost: recording the new session on the run (setSandboxSession)', op: 'store.setSandboxSession', nth: 1, setup: LOSE },
  { label: 'RootTurn 2, session lost: recording cell 1 started on the new session', op: 'store.putStep:cell_started', nth: 3, setup: LOSE },
  { label: 'FinalizeRun: stopping the sandbox', op: 'sandbox.stop' },
  { label: 'FinalizeRun: marking the run succeeded', op: 'store.finishRun' },
  { label: 'FinalizeRun: writing the artifacts', op: 'documents.putArtifact', nth: 2 },
];

const is = (p: Point, op: string, nth = 1) => p.op === op && (p.nth ?? 1) === nth;
const kill = (kind: FaultKind) => kind === 'kill-before' || kind === 'kill-after';
/** Where a cell's effect is lost (it was recorded started, then never ran): the model is told; the answer then lacks that cell's effect. */
const cellNeverRan = (p: Point, kind: FaultKind) =>
  (is(p, 'store.putStep:cell_started') && kind === 'kill-after') || (is(p, 'sandbox.execute') && kind === 'kill-before') ||
  (is(p, 'store.putStep:cell_not_run') && kind === 'kill-before') || (is(p, 'store.putStep:cell_started', 3) && kind === 'kill-after');
/** Where the cell ran but its result was lost: reported as interrupted, effect kept. */
const cellResultLost = (p: Point, kind: FaultKind) =>
  (is(p, 'sandbox.execute') && (kind === 'drop' || kind === 'kill-after')) || resultDied(p, kind) || (is(p, 'model.sub') && kill(kind)) ||
  (p.op === 'store.subCallLog' && kill(kind)) || (is(p, 'documents.putArtifact') && kill(kind));
/** Where the model answered but the reply was lost before it was recorded: one extra root call. */
const replyLost = (p: Point, kind: FaultKind) =>
  (is(p, 'model.root', 2) && (kind === 'drop' || kind === 'kill-after')) || (is(p, 'store.putStep:reply') && kind === 'kill-before');
/** Where the invocation died with the cell's result in memory: reported as interrupted (its sub-calls were journalled). */
const resultDied = (p: Point, kind: FaultKind) =>
  (is(p, 'store.putStep:cell_done', 2) && kind === 'kill-before') || (is(p, 'store.putStep:sub_calls') && kill(kind));
/**
 * Sub-calls counted and made (reaching the model). A started sub-call counts (a failed one is an error for
 * the code); only the invocation dying before the sub-calls reached the store leaves them uncounted.
 */
function subCallsOf(p: Point, kind: FaultKind): { counted: number; made: number } {
  // The fallback when the sub-call log failed: batched steps, written at the cell's end here.
  if (is(p, 'store.putStep:sub_calls') && kind === 'kill-before') return { counted: 0, made: 2 };
  if (p.op === 'store.subCallLog' && kill(kind)) {
    // Killed as call 1 starts: before the log line nothing was made; after it, the start counts (the request never left).
    if (p.nth === 1) return { counted: kind === 'kill-before' ? 0 : 1, made: 0 };
    // Killed as call 2 starts: call 1 was made; before the line it counts as started (unfinished); after it,
    // call 1 counts as ended and call 2 as started (the request never left).
    return { counted: kind === 'kill-before' ? 1 : 2, made: 1 };
  }
  if (p.op !== 'model.sub') return { counted: 2, made: 2 };
  // The invocation died in the call: it counts as started (an unfinished error), whether it reached the model or not.
  if (kind === 'kill-before') return { counted: 1, made: 0 };
  if (kind === 'kill-after') return { counted: 1, made: 1 };
  return { counted: 2, made: kind === 'drop' ? 2 : 1 };
}
/** A session started by an invocation that died before it could record or stop it (see docs/reliability.md). */
const sessionLeaks = (p: Point, kind: FaultKind) => is(p, 'sandbox.start') && (kind === 'drop' || kind === 'kill-after');
/**
 * Where RootTurn starts a new session (and says so once): after a lost session, or when a StartRun whose run
 * item was written but reported failed stopped its session (the retried StartRun finds the run; turn 1 replaces it).
 */
const sessionReplaced = (p: Point, kind: FaultKind) => p.setup?.kind === 'lose' || (is(p, 'store.createRun') && (kind === 'drop' || kind === 'kill-after'));
/** The answer: `a=11`; without cell 1's effect `a=10`; after a lost session `a=10`, or `a=unset` if turn 2's cell never ran. */
function answerOf(p: Point, kind: FaultKind): string {
  if (p.setup?.kind === 'lose') return cellNeverRan(p, kind) ? 'a=unset' : 'a=10';
  return cellNeverRan(p, kind) ? 'a=10' : 'a=11';
}

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
  expect(o.rootReplies).toBe(replyLost(point, kind) ? 4 : 3);
  expect(new Set(o.executions).size).toBe(o.executions.length); // no cell executed twice
  // Made once, counted once (core/run/sub-call-journal.ts).
  expect({ counted: o.subCalls, made: o.subCallsMade }).toEqual(subCallsOf(point, kind));
  expect(o.answer).toBe(answerOf(point, kind));
  if (cellNeverRan(point, kind)) {
    expect(o.interrupted).toBe(1);
    // The cell recorded started that never ran: cell 1 of turn 1, or turn 2's cell.
    expect(o.executions).toEqual(point.setup?.kind === 'lose' ? CELLS.filter((_, i) => i !== 2) : CELLS.slice(1));
  } else {
    expect(o.interrupted).toBe(cellResultLost(point, kind) ? 1 : 0);
    expect(o.executions).toEqual(CELLS);
  }
  // After a lost session the model is told once, whichever attempt of the turn got to run the cell.
  expect(o.notices).toBe(sessionReplaced(point, kind) ? 1 : 0);
  expect(o.openSessions).toBe(sessionLeaks(point, kind) ? 1 : 0);
  table.push(`| ${point.label} | ${kind} | ${o.status} | ${o.answer} | ${o.rootReplies} | ${o.executions.length} | ${o.subCallsMade} | ${o.subCalls} | ${o.turnIndexes.join(',')} | ${o.interrupted} | ${o.notices} | ${o.openSessions} |`);
});

/** RecordFailure's own crash points: turn 2's root call fails for good (not retryable). */
const FAILURE_POINTS: Point[] = [
  { label: 'RecordFailure: stopping the sandbox', op: 'sandbox.stop' },
  { label: 'RecordFailure: marking the run failed', op: 'store.finishRun' },
  { label: 'RecordFailure: writing the artifacts', op: 'documents.putArtifact' },
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
  table.push(`| ${point.label} | ${kind} | ${o.status} | - | ${o.rootReplies} | ${o.executions.length} | ${o.subCallsMade} | ${o.subCalls} | ${o.turnIndexes.join(',')} | ${o.interrupted} | ${o.notices} | ${o.openSessions} |`);
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
