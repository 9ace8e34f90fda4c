/**
 * Ending a run whose execution stopped without a task ending it: ABORTED (StopExecution, the console's Stop),
 * TIMED_OUT (the state machine's own timeout) or FAILED outside the Catch (`States.Runtime`, RecordFailure
 * failing for good). Called once per Execution Status Change event (lambdas/handlers/end-stopped-run.ts);
 * EventBridge delivers at least once and Lambda retries, so every step is idempotent:
 *
 * - a run that already ended (FinalizeRun, RecordFailure, an earlier delivery) is left as it is; only a
 *   session still running for it is stopped (an earlier delivery whose stop failed, a task that started one late);
 * - otherwise its sessions are stopped first, then result.json / trajectory.json are written for the ended run
 *   and only then the run item is marked ended (`cancelled` for ABORTED, `failed` with a named error
 *   otherwise), keeping every recorded turn; should the artifact store fail, the run is still `running` and the
 *   retry does it all again. A failed run's event is published as RecordFailure publishes it.
 */
import { isoNow, type EngineDeps } from '../engine-deps';
import { describeError, ExecutionFailedError, ExecutionTimedOutError, RunNotFoundError, RunStateConflictError } from '../errors';
import type { RunOutcome } from '../ports';
import type { RunRecord, RunStatus, TurnRecord } from '../types';
import type { StoppedExecution } from './executions';
import { closeRun, finish, stopSandbox, summarize, writeArtifacts } from './finalize-run';
import { endedStub, type StubOutcome } from './record-failure';
import { loadRun, loadTurns } from './spill';

/** What {@link endStoppedRun} did. */
export interface StoppedRunResult {
  runId: string;
  /** `ended`: this call ended the run; `already-ended`: the run had ended (left as it is). */
  action: 'ended' | 'already-ended';
  /** The run's status afterwards. */
  status: RunStatus;
  /** Sessions stopped by the sandbox's `stopRunSessions` (besides the run's own, stopped by ID). */
  sessionsStopped: number;
  resultUri?: string;
}

/** How the run of a stopped execution ends: `cancelled` for ABORTED, `failed` with a named error otherwise. */
export function endingOf(execution: StoppedExecution): StubOutcome {
  const why = [execution.error, execution.cause].filter(Boolean).join(': ');
  const said = why ? ` (${why})` : '';
  if (execution.status === 'ABORTED') {
    return { status: 'cancelled', stopReason: 'cancelled', stopDetail: `execution ABORTED before the run ended${said}` };
  }
  const error = describeError(execution.status === 'TIMED_OUT'
    ? new ExecutionTimedOutError(`execution ${execution.executionArn} TIMED_OUT (the state machine's timeout) before the run ended${said}`)
    : new ExecutionFailedError(`execution ${execution.executionArn} FAILED without recording the run's failure${said}`));
  return { status: 'failed', stopReason: 'error', stopDetail: `${error.name}: ${error.message}`, error };
}

/** End the run of `execution` if it is still running (see the module comment). */
export async function endStoppedRun(deps: EngineDeps, execution: StoppedExecution): Promise<StoppedRunResult> {
  const { runId } = execution;
  let run: RunRecord | undefined;
  try {
    run = await loadRun(deps, runId);
  } catch (err) {
    if (!(err instanceof RunNotFoundError)) throw err;
  }
  if (run && run.status !== 'running') {
    const stopped = (await deps.sandbox.stopRunSessions?.(runId)) ?? [];
    deps.logger.info('the stopped execution\'s run had already ended', { runId, status: run.status, sessionsStopped: stopped.length });
    return { runId, action: 'already-ended', status: run.status, sessionsStopped: stopped.length };
  }
  // Stop first: a session must not outlive its run. Should stopping fail, the run is still ended before the
  // error is rethrown (the retried event finds the run ended and stops its sessions again).
  let sessionsStopped = 0;
  const stopError = await (async () => {
    if (run) await stopSandbox(deps, run);
    sessionsStopped = ((await deps.sandbox.stopRunSessions?.(runId)) ?? []).length;
  })().then(() => undefined, (e: unknown) => e ?? new Error('sandbox stop failed'));

  const ending = endingOf(execution);
  const ended = run ? await endRun(deps, run, ending) : await endUnrecordedRun(deps, execution, ending);
  if (ended.won) {
    if (ended.run.status === 'failed') await closeRun(deps, ended.run, ended.turns, ended.written);
    else deps.metrics.count('RunsCancelled', 1);
  }
  deps.logger.info('run of a stopped execution ended', { runId, execution: execution.status, status: ended.run.status, sessionsStopped });
  if (stopError) throw stopError;
  return { runId, action: 'ended', status: ended.run.status, sessionsStopped, resultUri: ended.written.resultUri };
}

interface Ended {
  run: RunRecord;
  turns: TurnRecord[];
  written: { resultUri: string; trajectoryUri: string };
  /** This call's outcome is the one stored (not another writer's). */
  won: boolean;
}

/** Write the artifacts of `run` ended as `ending`, then mark it ended; another writer's outcome wins a race. */
async function endRun(deps: EngineDeps, run: RunRecord, ending: StubOutcome): Promise<Ended> {
  const turns = await loadTurns(deps, run.runId);
  const outcome: RunOutcome = { ...ending, updatedAt: isoNow(deps) };
  const prospective: RunRecord = { ...run, ...outcome };
  const written = await writeArtifacts(deps, prospective, turns, summarize(prospective, turns, deps.prices));
  const finished = await finish(deps, run, outcome);
  const won = finished.status === outcome.status && finished.stopDetail === outcome.stopDetail;
  if (won) return { run: finished, turns, written, won };
  // Ended by another writer first (FinalizeRun of an in-flight invocation): its own outcome goes in the artifacts.
  const again = await loadTurns(deps, run.runId);
  return { run: finished, turns: again, written: await writeArtifacts(deps, finished, again, summarize(finished, again, deps.prices)), won };
}

/**
 * The execution stopped before StartRun wrote the run item: an ended stub (question and options from the
 * execution input) is written, so a StartRun still in flight finds the run and stops the session it started.
 */
async function endUnrecordedRun(deps: EngineDeps, execution: StoppedExecution, ending: StubOutcome): Promise<Ended> {
  const stub = endedStub(deps, execution.runId, execution.input, ending);
  const written = await writeArtifacts(deps, stub, [], summarize(stub, [], deps.prices));
  try {
    await deps.store.createRun(stub);
  } catch (err) {
    if (!(err instanceof RunStateConflictError)) throw err;
    const run = await loadRun(deps, execution.runId); // StartRun (or an earlier delivery) wrote it first
    if (run.status === 'running') {
      await stopSandbox(deps, run); // its session started after the sessions were stopped above
      return endRun(deps, run, ending);
    }
    const turns = await loadTurns(deps, run.runId); // the stub's artifacts were written over the run's own: put them back
    return { run, turns, written: await writeArtifacts(deps, run, turns, summarize(run, turns, deps.prices)), won: false };
  }
  return { run: stub, turns: [], written, won: true };
}
