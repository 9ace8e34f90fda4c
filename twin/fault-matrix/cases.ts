/**
 * The cases of the twin's fault matrix: one fault (or a pair) at one crash point of the demo question
 * (examples/demo: 5 root turns, 3 sub-calls), and what the run must end with. `quick` marks the
 * representative rows (one per crash point x fault kind that differs in kind from the others); `npm test`
 * asserts every row but the one marked `slow`, in three files by {@link matrixGroup}; `npm run twin:faults`
 * runs and asserts every row.
 */
import type { FaultSpec } from '../faults';

/**
 * What a row must end with:
 * - `same-answer`: SUCCEEDED with the unfaulted run's answer, the root model answered once per turn, no cell
 *   executed twice, the unfaulted run's sub-calls made and counted once, turns 1..n with no gap or duplicate,
 *   no session left running.
 * - `fails-recorded`: the fault never clears, so the run gives up: FAILED with `error`, the run item failed
 *   with the turns recorded so far (no duplicate), no session left running, and no root call or cell repeated.
 * - `aborted`: the execution is stopped between steps (as StopExecution on AWS): nothing after it runs in the
 *   execution; the status-change rule's EndStoppedRun marks the run item cancelled with its recorded turns,
 *   writes result.json (cancelled) and stops the session: none left running.
 * - `model-sees-loss`: the sandbox kernel was killed and restarted empty: the model's code finds its variables
 *   gone (data for the model); this scripted model cannot recompute them, so it runs out of turns. Checked:
 *   recorded, no duplicate, no session left running.
 */
export type Expectation =
  | { kind: 'same-answer' }
  | { kind: 'fails-recorded'; error: string; resultJson: boolean }
  | { kind: 'aborted' }
  | { kind: 'model-sees-loss' };

/** One row. */
export interface MatrixCase {
  label: string;
  /** Where in the run the fault strikes (the crash points). */
  crashPoint: string;
  faults: FaultSpec[];
  expect: Expectation;
  /** In the representative set (`npm run twin:faults -- --quick`; its own test file). */
  quick?: boolean;
  /**
   * Asserted only by `npm run twin:faults`, not in `npm test`: a fault that never clears waited out by every
   * retry layer (the SDK's throttling backoff, the store's own write retries, Step Functions', RecordFailure's),
   * ~110 s of timers for one row; its fast twin (×1) and the other never-clearing rows are in `npm test`.
   */
  slow?: boolean;
  /**
   * Root replies the fault may lose: a container killed after the reply arrived but before the pending turn
   * recorded it takes the reply with it, and the retried turn asks again (once per such kill). Default 0.
   */
  lostReplies?: number;
  /**
   * Cells that must be read back from the session's cell journal (their invocation died while they ran, or their
   * output was lost after it arrived). Default 0.
   */
  recovered?: number;
}

const I = Infinity;
const same: Expectation = { kind: 'same-answer' };

/** Every case, in the order docs/twin.md lists them. */
export const MATRIX_CASES: MatrixCase[] = [
  { label: 'no fault', crashPoint: '-', faults: [], expect: same, quick: true },
  { label: 'root Converse throttle ×1', crashPoint: 'model reply', faults: [{ point: 'bedrock.converse.root', kind: 'throttle' }], expect: same },
  { label: 'root Converse throttle ×∞', crashPoint: 'model reply', faults: [{ point: 'bedrock.converse.root', kind: 'throttle', times: I }], expect: { kind: 'fails-recorded', error: 'ModelThrottledError', resultJson: true } },
  { label: 'root Converse 500 ×1', crashPoint: 'model reply', faults: [{ point: 'bedrock.converse.root', kind: 'server-error' }], expect: same },
  { label: 'root Converse drop ×1 (3rd turn)', crashPoint: 'model reply', faults: [{ point: 'bedrock.converse.root', kind: 'drop-connection', afterHits: 2 }], expect: same, quick: true },
  { label: 'sub Converse 500 ×1', crashPoint: 'during a cell (sub-call)', faults: [{ point: 'bedrock.converse.sub', kind: 'server-error' }], expect: same },
  { label: 'AgentCore start throttle ×1', crashPoint: 'sandbox start', faults: [{ point: 'agentcore.start', kind: 'throttle' }], expect: same },
  { label: 'InvokeCodeInterpreter before output 500 ×1 (2nd cell)', crashPoint: 'before a cell', faults: [{ point: 'agentcore.invoke.before-output', kind: 'server-error', afterHits: 2 }], expect: same },
  { label: 'InvokeCodeInterpreter before output kill (4th cell)', crashPoint: 'during a cell', faults: [{ point: 'agentcore.invoke.before-output', kind: 'kill', afterHits: 3 }], expect: { kind: 'model-sees-loss' } },
  { label: 'InvokeCodeInterpreter after output drop (2nd cell)', crashPoint: 'after a cell', faults: [{ point: 'agentcore.invoke.after-output', kind: 'drop-connection', afterHits: 1 }], expect: same, quick: true, recovered: 1 },
  { label: 'InvokeCodeInterpreter after output 500 (3rd cell)', crashPoint: 'after a cell', faults: [{ point: 'agentcore.invoke.after-output', kind: 'server-error', afterHits: 2 }], expect: same, recovered: 1 },
  { label: 'DynamoDB PutItem throttle ×1 (4th write)', crashPoint: 'before a write', faults: [{ point: 'dynamodb.PutItem', kind: 'throttle', afterHits: 3 }], expect: same, quick: true },
  { label: 'DynamoDB PutItem throttle ×∞ from the 3rd', crashPoint: 'before a write', faults: [{ point: 'dynamodb.PutItem', kind: 'throttle', times: I, afterHits: 2 }], expect: { kind: 'fails-recorded', error: 'ConversationStoreThrottledError', resultJson: true }, slow: true },
  { label: 'DynamoDB PutItem drop (2nd)', crashPoint: 'after a write (answer lost)', faults: [{ point: 'dynamodb.PutItem', kind: 'drop-connection', afterHits: 1 }], expect: same },
  { label: 'DynamoDB UpdateItem 500 ×1 (3rd)', crashPoint: 'before a write', faults: [{ point: 'dynamodb.UpdateItem', kind: 'server-error', afterHits: 2 }], expect: same },
  { label: 'S3 PutObject 500 ×1', crashPoint: 'in finalize', faults: [{ point: 's3.PutObject', kind: 'server-error' }], expect: same },
  { label: 'S3 PutObject 500 ×∞', crashPoint: 'in finalize and RecordFailure', faults: [{ point: 's3.PutObject', kind: 'server-error', times: I }], expect: { kind: 'fails-recorded', error: 'DocumentStoreUnavailableError', resultJson: false }, quick: true },
  { label: 'between steps: Lambda 5xx before FinalizeRun', crashPoint: 'in finalize', faults: [{ point: 'sfn.between-steps', kind: 'server-error', where: 'FinalizeRun' }], expect: same },
  { label: 'between steps: execution killed before the 2nd RootTurn', crashPoint: 'between turns', faults: [{ point: 'sfn.between-steps', kind: 'kill', where: 'RootTurn', afterHits: 1 }], expect: { kind: 'aborted' } },
  {
    label: 'StartRun killed between sandbox start and run creation', crashPoint: 'between sandbox start and run creation',
    // The run item's PutItem gets no answer; the invocation is killed while it waits (after the session started).
    faults: [{ point: 'dynamodb.PutItem', kind: 'timeout', delayMs: 12_000 }, { point: 'lambda.StartRun', kind: 'timeout', delayMs: 9_000 }],
    expect: same, quick: true,
  },
  { label: 'RootTurn timeout (2nd turn)', crashPoint: 'during a turn (invocation timeout)', faults: [{ point: 'lambda.RootTurn', kind: 'timeout', delayMs: 1500, afterHits: 1 }], expect: same },
  // The 2nd turn's root reply is held for 1.5 s so the kill at 300 ms lands inside the invocation on any machine
  // (a bare 300 ms timer missed the whole turn on a quiet one); the held reply is lost with the container.
  {
    label: 'RootTurn container killed (2nd turn, waiting for the model reply)', crashPoint: 'during the model call (container killed)',
    faults: [{ point: 'bedrock.converse.root', kind: 'delay', delayMs: 1500, afterHits: 1, times: 1 }, { point: 'lambda.RootTurn', kind: 'kill', delayMs: 300, afterHits: 1 }],
    expect: same, quick: true, lostReplies: 1,
  },
  // The 4th turn's cell makes the run's 3 sub-calls (one llm_query_batched); each reply is held 4 s, so the kill
  // 2.5 s into the invocation lands while the cell runs, its sub-calls in flight. The sandbox runs on: the retried
  // turn reads the cell's result back from the session journal and counts its 3 sub-calls once.
  {
    label: "RootTurn container killed (4th turn, during its cell's sub-calls)", crashPoint: 'during a cell (container killed)',
    faults: [{ point: 'bedrock.converse.sub', kind: 'delay', delayMs: 4000, times: 3 }, { point: 'lambda.RootTurn', kind: 'kill', delayMs: 2500, afterHits: 3 }],
    expect: same, quick: true, recovered: 1,
  },
  { label: 'RootTurn throttled (Lambda 429) ×1', crashPoint: 'between turns', faults: [{ point: 'lambda.RootTurn', kind: 'throttle' }], expect: same },
  { label: 'FinalizeRun timeout', crashPoint: 'in finalize', faults: [{ point: 'lambda.FinalizeRun', kind: 'timeout', delayMs: 1500 }], expect: same, quick: true },
  { label: 'RecordFailure container killed once (after root throttle ×∞)', crashPoint: 'in RecordFailure', faults: [{ point: 'bedrock.converse.root', kind: 'throttle', times: I }, { point: 'lambda.RecordFailure', kind: 'kill', delayMs: 200 }], expect: { kind: 'fails-recorded', error: 'ModelThrottledError', resultJson: true } },
];

/**
 * Which `npm test` file asserts a case (three files, so jest runs them side by side; each starts its own twin):
 * the representative rows; the other rows that fault a model or sandbox call; the rest (stores, steps, Lambda).
 */
export type MatrixGroup = 'quick' | 'calls' | 'steps' | 'slow';

/**
 * The group of a case (see {@link MatrixGroup}; `slow` cases have no test file, see {@link MatrixCase.slow}); the
 * unfaulted case is in every file as its baseline.
 */
export function matrixGroup(c: MatrixCase): MatrixGroup {
  if (c.slow) return 'slow';
  if (c.quick) return 'quick';
  return c.faults.some((f) => f.point.startsWith('bedrock.') || f.point.startsWith('agentcore.')) ? 'calls' : 'steps';
}
