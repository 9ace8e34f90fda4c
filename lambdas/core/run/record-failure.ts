/** The RecordFailure task: stop the sandbox first, mark the run failed (its turns stay), write artifacts, publish. */
import { zeroTotals } from '../accounting';
import { resolveRunConfig } from '../config';
import { isoNow, type EngineDeps } from '../engine-deps';
import { RunNotFoundError, RunStateConflictError } from '../errors';
import type { RunConfig, RunRecord, StartRunRequest, StopReason } from '../types';
import { closeRun, finish, stopSandbox, type RunEnded } from './finalize-run';
import { loadRun, loadTurns } from './spill';

/** Input of RecordFailure: the Catch output `{Error, Cause}` and the execution input. */
export interface RecordFailureInput {
  runId: string;
  error?: { Error?: string; Cause?: string };
  input?: unknown;
}

/** Parse a Step Functions error: Lambda puts `{errorType, errorMessage}` JSON in Cause; local runs put the message. */
export function parseStepError(error: RecordFailureInput['error']): { name: string; message: string } {
  const name = error?.Error || 'Error';
  const cause = error?.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; errorType?: string };
    if (parsed && typeof parsed.errorMessage === 'string') return { name: parsed.errorType || name, message: parsed.errorMessage };
  } catch {
    /* not JSON: the cause is the message */
  }
  return { name, message: cause || name };
}

/**
 * Stop the sandbox (first: a session must not outlive its run), mark the run failed keeping every
 * recorded turn, then write artifacts and publish. Idempotent: a retry after any step finishes the rest.
 */
export async function recordFailure(deps: EngineDeps, input: RecordFailureInput): Promise<RunEnded> {
  const error = parseStepError(input.error);
  let run: RunRecord;
  try {
    run = await loadRun(deps, input.runId);
  } catch (err) {
    if (!(err instanceof RunNotFoundError)) throw err;
    run = endedStub(deps, input.runId, input.input, { status: 'failed', stopReason: 'error', stopDetail: `${error.name}: ${error.message}`, error });
    try {
      await deps.store.createRun(run);
    } catch (e) {
      if (!(e instanceof RunStateConflictError)) throw e;
      run = await loadRun(deps, input.runId);
    }
  }
  // Stop first; should stopping fail, the run is still marked failed before the error is rethrown (the
  // task's retry stops the session again and writes the artifacts), so a run is never left `running`.
  const stopError = await stopSandbox(deps, run).then(() => undefined, (e: unknown) => e ?? new Error('sandbox stop failed'));
  if (run.status === 'running') {
    run = await finish(deps, run, { status: 'failed', stopReason: 'error', stopDetail: `${error.name}: ${error.message}`, error, updatedAt: isoNow(deps) });
  }
  if (stopError) throw stopError;
  const turns = await loadTurns(deps, run.runId);
  const ended = await closeRun(deps, run, turns);
  return { ...ended, status: 'failed', errorName: error.name, errorMessage: error.message };
}

/** How a stub run item ended (see {@link endedStub}). */
export type StubOutcome = Pick<RunRecord, 'stopDetail' | 'error'> & { status: Exclude<RunRecord['status'], 'running'>; stopReason: StopReason };

/**
 * The run item of a run whose StartRun never wrote one (it failed, or its execution stopped first), already
 * ended with `outcome`; question and options come from the execution input when it has them. Written with
 * `createRun`, it also makes a StartRun still in flight find the run and stop the session it started.
 */
export function endedStub(deps: EngineDeps, runId: string, executionInput: unknown, outcome: StubOutcome): RunRecord {
  const req = (executionInput ?? {}) as Partial<StartRunRequest>;
  let config: RunConfig;
  try {
    config = resolveRunConfig(req.options ?? {});
  } catch {
    config = resolveRunConfig({});
  }
  const now = isoNow(deps);
  return {
    runId, question: typeof req.question === 'string' ? req.question.slice(0, 100_000) : '',
    documents: [], config, iterations: 0, totals: zeroTotals(), createdAt: now, updatedAt: now, ...outcome,
  };
}
