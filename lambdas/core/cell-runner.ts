import { zeroTotals } from './accounting';
import { cellBudget, notExecutedAfterCap, withCell } from './budget';
import { emptySubStats } from './cell-report';
import { MIN_CELL_TIME_MS } from './config';
import { combineOutput, modelVisibleOutput } from './conversation';
import { sandboxOptionsFor, type EngineDeps } from './engine-deps';
import { SandboxSessionLostError } from './errors';
import type { CellExecOptions, SandboxSession } from './ports';
import { turnFooter } from './prompts';
import type { CodeRequest } from './reply-parser';
import type { CellRecord, CellResult, RunRecord, RunTotals } from './types';
import { truncateMiddle } from './truncate';

/** Full outputs longer than this go to the artifact store; the turn keeps a head/tail copy and the URI. */
export const INLINE_FULL_OUTPUT_CHARS = 100_000;
/** Time kept back from the turn's deadline for recording the turn. */
export const TURN_SAFETY_MARGIN_MS = 20_000;
/** A cell is not started with less time than this left in the turn (defined with the run limits in config.ts). */
export { MIN_CELL_TIME_MS } from './config';

const LOST_NOTICE =
  'The sandbox session was lost and a new one was started: variables from earlier turns are gone; context and documents are loaded again.';

/** Attach to the run's sandbox session, starting a new one (and telling the model) if it was lost. */
export async function attachSession(deps: EngineDeps, run: RunRecord): Promise<{ session: SandboxSession; notice?: string }> {
  if (run.sandboxSessionId) {
    try {
      return { session: await deps.sandbox.resume(run.sandboxSessionId, sandboxOptionsFor(run)) };
    } catch (err) {
      if (!(err instanceof SandboxSessionLostError)) throw err;
      deps.logger.warn('sandbox session lost; starting a new one', { runId: run.runId, sessionId: run.sandboxSessionId });
    }
  }
  const { session } = await deps.sandbox.start(sandboxOptionsFor(run));
  await deps.store.setSandboxSession(run.runId, session.sessionId);
  run.sandboxSessionId = session.sessionId;
  return { session, notice: LOST_NOTICE };
}

function syntheticResult(message: string, raised: boolean): CellResult {
  return { stdout: '', stderr: message, timedOut: false, raised, durationMs: 0, sub: emptySubStats() };
}

/** Options of one turn's cells. */
export interface CellRunContext {
  run: RunRecord;
  iteration: number;
  /** Epoch ms by which the turn must be recorded (Lambda deadline); undefined = no deadline. */
  deadline?: number;
  /** Spent by the run so far, this turn's root call included; cells get the rest as their budget. */
  spent?: RunTotals;
}

/**
 * Execute a turn's code requests in order. Stops executing after a cell that called FINAL or reached a
 * cap at call time (later cells are answered "not executed"); skips cells when the turn's time budget is
 * spent. Each cell gets what the run may still spend (`cellBudget`) as its sub-call budget.
 */
export async function runCells(deps: EngineDeps, ctx: CellRunContext, requests: CodeRequest[]): Promise<CellRecord[]> {
  const now = deps.now ?? Date.now;
  const { run } = ctx;
  const footer = turnFooter(ctx.iteration, run.config.maxIterations);
  const records: CellRecord[] = [];
  let attached: { session: SandboxSession; notice?: string } | undefined;
  let finished = false;
  let spent = ctx.spent ?? zeroTotals();
  let cap: string | undefined;
  for (const [i, req] of requests.entries()) {
    let result: CellResult;
    if (req.invalid) {
      result = syntheticResult(req.invalid, true);
    } else if (cap !== undefined) {
      result = syntheticResult(notExecutedAfterCap(cap), false);
    } else if (finished) {
      result = syntheticResult('Not executed: an earlier block in this reply already called FINAL, so the run is over.', false);
    } else {
      // Attach first: starting a replacement session (documents reloaded) can take a while on AgentCore,
      // and the cell's budget is what is left after it.
      attached ??= await attachSession(deps, run);
      const budget = ctx.deadline === undefined ? run.config.cellTimeoutMs : ctx.deadline - now() - TURN_SAFETY_MARGIN_MS;
      if (budget < MIN_CELL_TIME_MS) {
        result = syntheticResult('Not executed: this turn ran out of time. Run it again in your next reply.', false);
      } else {
        const subCallBudget = cellBudget(run.config, spent, deps.prices);
        result = await executeOne(deps, ctx, attached, req.code, { timeoutMs: Math.min(run.config.cellTimeoutMs, budget), budget: subCallBudget });
        spent = withCell(spent, result, run.config, deps.prices);
        cap = result.capReached;
      }
      if (attached.notice) {
        result.notices = [attached.notice, ...(result.notices ?? [])];
        attached.notice = undefined;
      }
    }
    if (result.final) finished = true;
    records.push(await toRecord(deps, ctx, i, req, result, footer));
  }
  return records;
}

async function executeOne(deps: EngineDeps, ctx: CellRunContext, attached: { session: SandboxSession; notice?: string }, code: string, options: CellExecOptions): Promise<CellResult> {
  try {
    return await attached.session.execute(code, options);
  } catch (err) {
    if (!(err instanceof SandboxSessionLostError)) throw err;
    deps.logger.warn('sandbox session lost during a cell; restarting', { runId: ctx.run.runId, iteration: ctx.iteration });
    ctx.run.sandboxSessionId = undefined;
    const fresh = await attachSession(deps, ctx.run);
    attached.session = fresh.session;
    return syntheticResult(`The sandbox session was lost while this cell ran (${err.message}); the cell did not complete. ${LOST_NOTICE}`, true);
  }
}

async function toRecord(deps: EngineDeps, ctx: CellRunContext, i: number, req: CodeRequest, result: CellResult, footer: string): Promise<CellRecord> {
  const full = combineOutput(result);
  const { stdout: _o, stderr: _e, ...rest } = result;
  const record: CellRecord = {
    ...(req.toolUseId ? { toolUseId: req.toolUseId } : {}),
    code: req.code,
    modelOutput: modelVisibleOutput(full, ctx.run.config.maxOutputChars, footer),
    fullOutput: full,
    result: rest,
  };
  if (full.length > INLINE_FULL_OUTPUT_CHARS) {
    const key = `${ctx.run.runId}/outputs/turn-${String(ctx.iteration).padStart(4, '0')}-cell-${i + 1}.txt`;
    record.fullOutputUri = await deps.documents.putArtifact(key, full, 'text/plain; charset=utf-8');
    record.fullOutput = truncateMiddle(full, INLINE_FULL_OUTPUT_CHARS);
  }
  return record;
}
