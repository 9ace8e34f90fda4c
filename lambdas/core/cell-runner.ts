/**
 * Running a turn's cells as recorded steps: `cell_started` is written before a cell runs and `cell_done`
 * (the spilled record) as soon as it finished, so a retried turn never runs a recorded cell again; a
 * cell whose invocation died is read back from the session's cell journal where the sandbox keeps one
 * (core/cell-recovery.ts), else reported to the model as interrupted. Each cell gets what the run may still
 * spend as its sub-call budget (core/budget.ts); after a cell that reached a cap the rest is not executed.
 */
import { costOfSubCalls, zeroTotals } from './accounting';
import { cellBudget, notExecutedAfterCap, withCell } from './budget';
import { emptySubStats } from './cell-report';
import { MIN_CELL_TIME_MS } from './config';
import { journalKeyOf, recoverCell } from './cell-recovery';
import { combineOutput, modelVisibleOutput } from './conversation';
import { isoNow, sandboxOptionsFor, type EngineDeps } from './engine-deps';
import { describeError, SandboxSessionLostError, SandboxThrottledError, SandboxUnavailableError } from './errors';
import type { CellExecOptions, SandboxSession, SubCallBudget } from './ports';
import { turnFooter } from './prompts';
import type { CodeRequest } from './reply-parser';
import { spillCell } from './run/spill';
import { writeWithRetries, type StepLog } from './run/step-log';
import { SubCallJournal } from './run/sub-call-journal';
import type { CellRecord, CellResult, RunRecord, RunTotals } from './types';

export { SPILLED_OUTPUT_PREVIEW_CHARS as INLINE_FULL_OUTPUT_CHARS } from './run/spill';
/** Time kept back from the turn's deadline for recording the turn. */
export const TURN_SAFETY_MARGIN_MS = 20_000;
/** A cell is not started with less time than this left in the turn (defined with the run limits in config.ts). */
export { MIN_CELL_TIME_MS } from './config';

const LOST_NOTICE =
  'The sandbox session was lost and a new one was started: variables from earlier turns are gone; context and documents are loaded again.';

/** What the model is told about a cell whose invocation ended while it ran. */
export const INTERRUPTED_MESSAGE =
  'Interrupted: the invocation running this cell ended before the cell reported (a timeout, crash or kill). ' +
  'It may have run partly or fully: the sandbox may hold partial effects (variables set, state changed). ' +
  'Check what you need before relying on it; it was not run again.';

/**
 * Attach to the run's sandbox session, starting a new one (and telling the model) if it was lost. The new
 * session is recorded in the turn's step log (`session_replaced`, so a retried attempt that resumes it still
 * tells the model) and then on the run item (retried in-process on transient errors); if recording fails, the
 * new session is stopped before the error propagates, so a retried turn does not leave it running.
 */
export async function attachSession(deps: EngineDeps, run: RunRecord, deadline?: number, log?: StepLog): Promise<{ session: SandboxSession; notice?: string }> {
  if (run.sandboxSessionId) {
    try {
      const session = await deps.sandbox.resume(run.sandboxSessionId, sandboxOptionsFor(run));
      return log?.sessionNoticeOwed() ? { session, notice: LOST_NOTICE } : { session };
    } catch (err) {
      if (!(err instanceof SandboxSessionLostError)) throw err;
      deps.logger.warn('sandbox session lost; starting a new one', { runId: run.runId, sessionId: run.sandboxSessionId });
    }
  }
  const { session } = await deps.sandbox.start({ ...sandboxOptionsFor(run), ...(deadline !== undefined ? { deadline } : {}) });
  try {
    await log?.append({ kind: 'session_replaced', at: isoNow(deps), sessionId: session.sessionId });
    await writeWithRetries(() => deps.store.setSandboxSession(run.runId, session.sessionId));
  } catch (err) {
    await deps.sandbox.stop(session.sessionId).catch((e: unknown) =>
      deps.logger.warn('could not stop a sandbox session that was not recorded', { runId: run.runId, sessionId: session.sessionId, error: describeError(e) }));
    throw err;
  }
  run.sandboxSessionId = session.sessionId;
  return { session, notice: LOST_NOTICE };
}

function syntheticResult(message: string, raised: boolean, sub: CellResult['sub'] = emptySubStats()): CellResult {
  return { stdout: '', stderr: message, timedOut: false, raised, durationMs: 0, sub };
}

/** Options of one turn's cells. */
export interface CellRunContext {
  run: RunRecord;
  iteration: number;
  /** Epoch ms by which the turn must be recorded (Lambda deadline); undefined = no deadline. */
  deadline?: number;
  /** The turn's recorded steps (replayed, and appended to as cells run). */
  log: StepLog;
  /** Spent by the run so far, this turn's root call included; cells get the rest as their budget. */
  spent?: RunTotals;
}

/**
 * Execute a turn's code requests in order, replaying recorded cells. Stops executing after a cell that
 * called FINAL or reached a cap at call time, or after the session was lost (later cells are answered
 * "not executed"); skips cells when the turn's time budget is spent. Each cell gets what the run may
 * still spend (`cellBudget`, recorded cells of this turn included) as its sub-call budget.
 */
export async function runCells(deps: EngineDeps, ctx: CellRunContext, requests: CodeRequest[]): Promise<CellRecord[]> {
  const now = deps.now ?? Date.now;
  const { run } = ctx;
  const records: CellRecord[] = [];
  let attached: { session: SandboxSession; notice?: string } | undefined;
  let stopped: string | undefined;
  let spent = ctx.spent ?? zeroTotals();
  for (const [i, req] of requests.entries()) {
    const cell = i + 1;
    const recorded = ctx.log.cell(cell);
    if (recorded.state === 'done') {
      records.push(recorded.record);
      spent = withCell(spent, recorded.record.result, run.config, deps.prices);
      stopped ??= stopReasonAfter(recorded.record.result);
      continue;
    }
    let result: CellResult | undefined;
    if (recorded.state === 'interrupted') {
      // The session's journal may hold the cell's result (it finished there) or say it never ran (core/cell-recovery.ts);
      // otherwise its sub-calls, recorded as they ended, are counted once, here.
      const waitMs = Math.min(run.config.cellTimeoutMs, ctx.deadline === undefined ? Infinity : ctx.deadline - now() - TURN_SAFETY_MARGIN_MS);
      const recovery = await recoverCell(deps, run, ctx.log, ctx.iteration, cell, waitMs);
      if (recovery.kind !== 'never-ran') {
        result = recovery.kind === 'done' ? recovery.result : syntheticResult(INTERRUPTED_MESSAGE, true, recovery.sub);
        // It may have run on a session that replaced a lost one, and the model was not told yet.
        if (ctx.log.sessionNoticeOwed()) result.notices = [LOST_NOTICE, ...(result.notices ?? [])];
        spent = withCell(spent, result, run.config, deps.prices);
      }
    }
    if (!result) {
      if (req.invalid) {
        result = syntheticResult(req.invalid, true);
      } else if (stopped) {
        result = syntheticResult(stopped, false);
      } else {
        // Attach first: starting a replacement session (documents reloaded) can take a while on AgentCore,
        // and the cell's budget is what is left after it.
        attached ??= await attachSession(deps, run, ctx.deadline === undefined ? undefined : ctx.deadline - TURN_SAFETY_MARGIN_MS, ctx.log);
        const budget = ctx.deadline === undefined ? run.config.cellTimeoutMs : ctx.deadline - now() - TURN_SAFETY_MARGIN_MS;
        if (budget < MIN_CELL_TIME_MS) {
          result = syntheticResult('Not executed: this turn ran out of time. Run it again in your next reply.', false);
        } else {
          await ctx.log.append({ kind: 'cell_started', at: isoNow(deps), cell });
          const subCallBudget = cellBudget(run.config, spent, deps.prices);
          const outcome = await executeOne(deps, ctx, cell, attached.session, req.code, Math.min(run.config.cellTimeoutMs, budget), subCallBudget);
          result = outcome.result;
          spent = withCell(spent, result, run.config, deps.prices);
          if (outcome.lost) {
            stopped = 'Not executed: the sandbox session was lost during an earlier block of this reply.';
            attached = undefined;
          }
        }
        if (attached?.notice) {
          result.notices = [attached.notice, ...(result.notices ?? [])];
          attached.notice = undefined;
        }
      }
    }
    stopped ??= stopReasonAfter(result);
    const record = await spillCell(deps, run.runId, ctx.iteration, cell, toRecord(deps, ctx, req, result));
    await ctx.log.append({ kind: 'cell_done', at: isoNow(deps), cell, record });
    records.push(record);
  }
  return records;
}

/** Why the cells after this one are not executed (a cap reached at call time, or FINAL), if they are not. */
function stopReasonAfter(result: Pick<CellResult, 'capReached' | 'final'>): string | undefined {
  if (result.capReached !== undefined) return notExecutedAfterCap(result.capReached);
  if (result.final) return 'Not executed: an earlier block in this reply already called FINAL, so the run is over.';
  return undefined;
}

/**
 * Run one cell. An error that proves the cell did not run (throttle, or a transient failure before any
 * output) is recorded as `cell_not_run` and rethrown for the state machine to retry; any other error
 * leaves the cell `started`, so a retried turn reports it as interrupted instead of running it again.
 */
async function executeOne(
  deps: EngineDeps, ctx: CellRunContext, cell: number, session: SandboxSession, code: string, timeoutMs: number, budget: SubCallBudget,
): Promise<{ result: CellResult; lost?: boolean }> {
  const { runId } = ctx.run;
  deps.progress?.cellStarted?.({ runId, iteration: ctx.iteration, cell });
  const journal = new SubCallJournal(deps, ctx.log, cell);
  const options: CellExecOptions = {
    timeoutMs,
    budget,
    onSubCalls: (p) => {
      journal.progress(p);
      deps.progress?.subCalls?.({ runId, iteration: ctx.iteration, cell, ...p });
    },
    onSubCallDone: journal.onSubCallDone,
    journalKey: journalKeyOf(ctx.iteration, cell),
  };
  let result: CellResult;
  try {
    result = await session.execute(code, options);
  } catch (err) {
    // Whatever happens next (a retry, a lost session), the sub-calls this cell made are on record first.
    await journal.drain();
    if (err instanceof SandboxThrottledError || (err instanceof SandboxUnavailableError && err.cellDidNotRun)) {
      await ctx.log.append({ kind: 'cell_not_run', at: isoNow(deps), cell, reason: err.message });
      throw err;
    }
    if (!(err instanceof SandboxSessionLostError)) throw err;
    deps.logger.warn('sandbox session lost during a cell; a new one starts with the next cell or turn', { runId, iteration: ctx.iteration });
    const lost = `The sandbox session was lost while this cell ran (${err.message}); the cell did not complete.`;
    return { result: syntheticResult(lost, true, journal.stats()), lost: true };
  }
  // The cell's result is in memory only until cell_done is written: its sub-calls go on record before.
  await journal.drain();
  return { result };
}

/** The cell's record, with the sub-calls' cost computed while every record is at hand. */
function toRecord(deps: EngineDeps, ctx: CellRunContext, req: CodeRequest, result: CellResult): CellRecord {
  const full = combineOutput(result);
  const { stdout: _o, stderr: _e, ...rest } = result;
  const sub = rest.sub;
  const costUsd = costOfSubCalls(sub, ctx.run.config, deps.prices);
  return {
    ...(req.toolUseId ? { toolUseId: req.toolUseId } : {}),
    code: req.code,
    modelOutput: modelVisibleOutput(full, ctx.run.config.maxOutputChars, turnFooter(ctx.iteration, ctx.run.config.maxIterations)),
    fullOutput: full,
    result: { ...rest, sub: { ...sub, costUsd } },
  };
}
