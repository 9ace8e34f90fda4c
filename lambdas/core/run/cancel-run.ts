/**
 * Ending a run the caller stopped (Ctrl-C / SIGTERM to the CLI): the run item becomes `cancelled`
 * with every turn recorded so far, and result.json / trajectory.json are written like for any ended run.
 * Stopping in-flight work (model calls, the running cell) is the caller's job before this is called.
 * Like a failed run, a cancelled one keeps its recorded steps and can be resumed (`prepareResume`).
 */
import type { EngineDeps } from '../engine-deps';
import { isoNow } from '../engine-deps';
import { RunNotFoundError } from '../errors';
import type { RunRecord, RunSummary } from '../types';
import { finish, summarize, writeArtifacts } from './finalize-run';
import { loadRun, loadTurns } from './spill';

/** What {@link cancelRun} recorded: the summary and the artifact URIs (absent when the run had no record yet). */
export interface CancelledRun {
  run?: RunRecord;
  summary?: RunSummary;
  resultUri?: string;
  trajectoryUri?: string;
}

/**
 * Mark a running run `cancelled` (stop reason `cancelled`, `reason` as the detail) and write its
 * artifacts. A run that already ended keeps its outcome (its artifacts are written again, unchanged).
 * A run whose StartRun never created the item returns `{}`: there is no transcript to keep.
 */
export async function cancelRun(deps: EngineDeps, runId: string, reason: string): Promise<CancelledRun> {
  let run: RunRecord;
  try {
    run = await loadRun(deps, runId);
  } catch (err) {
    if (err instanceof RunNotFoundError) return {};
    throw err;
  }
  if (run.status === 'running') {
    run = await finish(deps, run, { status: 'cancelled', stopReason: 'cancelled', stopDetail: reason, updatedAt: isoNow(deps) });
  }
  const turns = await loadTurns(deps, runId);
  const summary = summarize(run, turns, deps.prices);
  const { resultUri, trajectoryUri } = await writeArtifacts(deps, run, turns, summary);
  if (run.status === 'cancelled') deps.metrics.count('RunsCancelled', 1);
  deps.logger.info('run cancelled', { runId, status: run.status, iterations: summary.iterations, reason });
  return { run, summary: { ...summary, resultUri }, resultUri, trajectoryUri };
}
