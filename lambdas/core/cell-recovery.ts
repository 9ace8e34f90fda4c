/**
 * Recovering a cell whose invocation ended while it ran (its step log says `cell_started` and nothing after).
 * Sandboxes whose sessions outlive the invocation (AgentCore) keep a journal of each cell in the session
 * (`CellExecOptions.journalKey`, lambdas/sandbox-python/prelude_journal.py); the next RootTurn reads it before it
 * goes on, in one small cell: a cell that finished there is recorded with its own result (its output, FINAL and
 * sub-calls, counted once through the same accounting and caps as any cell), a cell that never reached the
 * kernel is run now, and only a cell still running after the wait, or a journal that cannot tell, is reported
 * to the model as interrupted, with the sub-calls recorded for it (the sandbox's tally, else the host's).
 */
import type { EngineDeps } from './engine-deps';
import type { StepLog } from './run/step-log';
import type { CellResult, RunRecord, SubCallStats } from './types';

/** The journal key of cell `cell` (1-based) of turn `turn`: unique per cell of a run. */
export const journalKeyOf = (turn: number, cell: number): string => `t${turn}c${cell}`;

/** What the model is told with a cell whose result was read back from the sandbox's journal. */
export const RECOVERED_NOTICE =
  'The invocation running this cell ended before its result arrived; the cell had finished in the sandbox and this is its result, read back from the session (it was not run again).';

/** How to go on with an interrupted cell. */
export type CellRecovery =
  | { kind: 'done'; result: CellResult }
  | { kind: 'never-ran' }
  | { kind: 'interrupted'; sub: SubCallStats };

/**
 * Ask the journal of the run's session about cell `cell` of turn `turn` (waiting up to `waitMs` for it to end) and
 * decide. A sandbox without a journal (`Sandbox.recoverCell`), or a run without a session: interrupted.
 */
export async function recoverCell(deps: EngineDeps, run: RunRecord, log: StepLog, turn: number, cell: number, waitMs: number): Promise<CellRecovery> {
  const found = deps.sandbox.recoverCell && run.sandboxSessionId
    ? await deps.sandbox.recoverCell(run.sandboxSessionId, journalKeyOf(turn, cell), { waitMs: Math.max(0, waitMs) })
    : undefined;
  const where = { runId: log.runId, turn, cell };
  if (found?.state === 'done') {
    deps.logger.info('interrupted cell had finished in the sandbox; its result is read back from the session journal', where);
    return { kind: 'done', result: { ...found.result, notices: [RECOVERED_NOTICE, ...(found.result.notices ?? [])] } };
  }
  if (found?.state === 'absent') {
    deps.logger.warn('interrupted cell never reached the sandbox (not in the session journal); running it now', where);
    return { kind: 'never-ran' };
  }
  deps.logger.warn('cell interrupted by an earlier attempt; not running it again', { ...where, journal: found?.state ?? 'none' });
  // The sub-calls it made: the sandbox's own tally when it has one, else those the host recorded as they ended.
  return { kind: 'interrupted', sub: found?.state === 'running' ? found.sub : log.subCallsOf(cell) };
}

