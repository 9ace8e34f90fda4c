/** The FinalizeRun task, and the closing steps it shares with RecordFailure (summary, artifacts, stop, event). */
import { computeTotals, usageOf } from '../accounting';
import { isoNow, type EngineDeps } from '../engine-deps';
import { describeError, InvalidInputError, isRetryable, RunStateConflictError, SandboxError } from '../errors';
import type { RunOutcome } from '../ports';
import { unpricedModelsOf, type PriceTable } from '../pricing';
import { truncateMiddle } from '../truncate';
import type { RunRecord, RunSummary, TurnRecord } from '../types';
import { ANSWER_PREVIEW_CHARS, loadRun, loadTurns } from './spill';
import { RUN_ARTIFACT_KEYS } from '../bucket-layout';

/**
 * The user-facing summary of a run. Pass the price table the turns were accounted with (`deps.prices`),
 * or the cost is recomputed under the default prices (sub-call costs recorded with a cell are kept).
 */
export function summarize(run: RunRecord, turns: TurnRecord[], prices?: PriceTable, extra: Partial<RunSummary> = {}): RunSummary {
  const totals = turns.length ? computeTotals(turns, run.config, prices) : run.totals;
  const outcome = turns[turns.length - 1]?.outcome;
  const unpriced = unpricedModelsOf(turns, run.config, prices);
  return {
    runId: run.runId,
    status: run.status,
    answer: run.answer ?? outcome?.answer ?? null,
    stopReason: run.stopReason ?? outcome?.stopReason ?? 'error',
    ...(run.stopDetail ?? outcome?.detail ? { stopDetail: run.stopDetail ?? outcome?.detail } : {}),
    iterations: turns.length || run.iterations,
    usage: usageOf(totals),
    costUsd: Number(totals.costUsd.toFixed(6)),
    ...(unpriced.length ? { unpricedModels: unpriced } : {}),
    ...(run.error ? { error: run.error } : {}),
    ...extra,
  };
}

/** Write the result (`summary` plus the question) and the full trajectory as artifacts; returns their URIs. */
export async function writeArtifacts(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], summary: RunSummary): Promise<{ resultUri: string; trajectoryUri: string }> {
  // The whole answer is in result.json (and its own artifact when large): the trajectory keeps previews and URIs.
  const preview = (answer: string | null | undefined) => (answer ? truncateMiddle(answer, ANSWER_PREVIEW_CHARS) : answer);
  const trajectory = {
    run: run.answerUri ? { ...run, answer: preview(run.answer) } : run,
    turns: turns.map((t) => (t.outcome?.answerUri ? { ...t, outcome: { ...t.outcome, answer: preview(t.outcome.answer) ?? null } } : t)),
  };
  const trajectoryUri = await deps.documents.putArtifact(RUN_ARTIFACT_KEYS.trajectory(run.runId), JSON.stringify(trajectory, null, 2), 'application/json');
  const result = { ...summary, trajectoryPath: trajectoryUri, question: run.question };
  const resultUri = await deps.documents.putArtifact(RUN_ARTIFACT_KEYS.result(run.runId), JSON.stringify(result, null, 2), 'application/json');
  return { resultUri, trajectoryUri };
}

/** Result of FinalizeRun / RecordFailure (small: IDs, counters, URIs). */
export interface RunEnded {
  runId: string;
  status: 'succeeded' | 'failed';
  stopReason: RunSummary['stopReason'];
  iterations: number;
  costUsd: number;
  resultUri?: string;
  trajectoryUri?: string;
  errorName?: string;
  errorMessage?: string;
}

/**
 * Stop the run's sandbox session (idempotent). A transient failure (or an unknown one) propagates so the
 * task is retried and no session outlives its run; a permanent sandbox error (e.g. access denied) is logged
 * and the run is still recorded (the session then ends at its own timeout).
 */
export async function stopSandbox(deps: EngineDeps, run: RunRecord): Promise<void> {
  if (!run.sandboxSessionId) return;
  try {
    await deps.sandbox.stop(run.sandboxSessionId);
  } catch (err) {
    if (isRetryable(err) || !(err instanceof SandboxError)) throw err;
    deps.logger.warn('could not stop the sandbox session', { runId: run.runId, error: describeError(err) });
  }
}

/** Stop the sandbox, record the answer and accounting, write artifacts, publish the event. Idempotent. */
export async function finalizeRun(deps: EngineDeps, runId: string): Promise<RunEnded> {
  const run = await loadRun(deps, runId);
  // Stop first; should stopping fail, the outcome is still recorded before the error is rethrown (the
  // task's retry stops the session again and writes the artifacts).
  const stopError = await stopSandbox(deps, run).then(() => undefined, (e: unknown) => e ?? new Error('sandbox stop failed'));
  const turns = await loadTurns(deps, runId);
  const outcome = turns[turns.length - 1]?.outcome;
  if (run.status !== 'running') {
    if (stopError) throw stopError;
    return closeRun(deps, run, turns);
  }
  if (!outcome) throw new InvalidInputError(`run ${runId} has no final turn yet; it cannot be finalized`);
  const answer = outcome.answer ?? undefined;
  const succeeded: RunOutcome = {
    status: 'succeeded', stopReason: outcome.stopReason, updatedAt: isoNow(deps),
    ...(answer !== undefined ? (outcome.answerUri ? { answer: truncateMiddle(answer, ANSWER_PREVIEW_CHARS), answerUri: outcome.answerUri } : { answer }) : {}),
    ...(outcome.detail ? { stopDetail: outcome.detail } : {}),
  };
  // The result is stored before the run says succeeded: should the artifact store fail for good, the run is
  // still `running` and RecordFailure marks it failed (its turns stay), never "succeeded" without a result.json.
  const withAnswer = (r: RunRecord): RunRecord => ({ ...r, ...(answer !== undefined ? { answer } : {}) });
  const prospective = withAnswer({ ...run, ...succeeded });
  const written = await writeArtifacts(deps, prospective, turns, summarize(prospective, turns, deps.prices));
  const finished = await finish(deps, run, succeeded);
  if (stopError) throw stopError;
  // Another writer ended the run first (e.g. cancelled): its own outcome is written over the artifacts.
  return closeRun(deps, withAnswer(finished), turns, finished.status === 'succeeded' ? written : undefined);
}

/**
 * Mark a running run ended and return it as the store now holds it. The run is re-read only when
 * another writer ended it first; otherwise the outcome is applied to the copy in hand.
 */
export async function finish(deps: EngineDeps, run: RunRecord, outcome: RunOutcome): Promise<RunRecord> {
  try {
    await deps.store.finishRun(run.runId, outcome);
  } catch (err) {
    if (!(err instanceof RunStateConflictError)) throw err;
    return loadRun(deps, run.runId);
  }
  return { ...run, ...outcome };
}

/**
 * Summary, artifacts, event and metrics of an ended run (the sandbox is stopped before). `written`: the
 * artifacts of exactly this outcome are already stored (FinalizeRun writes them before it ends the run).
 */
export async function closeRun(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], written?: { resultUri: string; trajectoryUri: string }): Promise<RunEnded> {
  const summary = summarize(run, turns, deps.prices);
  const { resultUri, trajectoryUri } = written ?? await writeArtifacts(deps, run, turns, summary);
  const status = run.status === 'succeeded' ? 'succeeded' : 'failed';
  await deps.events.runFinished({
    runId: run.runId, status, stopReason: summary.stopReason, iterations: summary.iterations, costUsd: summary.costUsd,
    resultUri, ...(run.error ? { error: run.error } : {}), ...(run.tags ? { tags: run.tags } : {}),
  });
  deps.metrics.count('CostUsd', summary.costUsd, 'None');
  deps.metrics.count(status === 'failed' ? 'RunsFailed' : 'RunsSucceeded', 1);
  deps.logger.info('run ended', { runId: run.runId, status, stopReason: summary.stopReason, iterations: summary.iterations, costUsd: summary.costUsd });
  return {
    runId: run.runId, status, stopReason: summary.stopReason, iterations: summary.iterations, costUsd: summary.costUsd, resultUri, trajectoryUri,
    ...(run.error ? { errorName: run.error.name, errorMessage: run.error.message } : {}),
  };
}
