/**
 * What the batch state machine records per item (`batches/work/<batchId>/items/<index>.json`, written by
 * the Distributed Map's item processor) and how it becomes a result line.
 *
 * - run finished (succeeded, or failed inside the run machine): `{output: <run machine output>, startDate, stopDate}`
 *   (the `startExecution.sync:2` response, trimmed by ResultSelector);
 * - start or run failed as a task: `{Error, Cause}` (the Catch output).
 */
import type { RunSummary } from '../types';
import type { BatchResultLine, ItemRef } from './results';
import { failedResultLine, resultLineFromSummary } from './results';
import { RUN_ARTIFACT_FILES, runArtifactObjectKey } from '../bucket-layout';

/** An item record as written by the map. */
export interface ItemRecord {
  output?: { runId?: string; status?: string; resultUri?: string; errorName?: string; errorMessage?: string };
  startDate?: number | string;
  stopDate?: number | string;
  Error?: string;
  Cause?: string;
}

/** Longest error reason kept in a result line. */
export const MAX_REASON_CHARS = 2000;

function toMillis(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Wall time of the item's run from the record's start/stop dates. */
export function recordLatencyMs(record: ItemRecord | undefined): number | undefined {
  const start = toMillis(record?.startDate);
  const stop = toMillis(record?.stopDate);
  return start !== undefined && stop !== undefined && stop >= start ? stop - start : undefined;
}

/**
 * A readable reason from a Catch output. `startExecution.sync` puts the child's DescribeExecution
 * response (JSON with `error`/`cause`) in `Cause`; Lambda errors put `{errorType, errorMessage}`.
 */
export function describeStepFailure(record: { Error?: string; Cause?: string }): string {
  const name = record.Error || 'Error';
  const cause = record.Cause ?? '';
  let reason = cause ? `${name}: ${cause}` : name;
  try {
    const parsed = JSON.parse(cause) as Record<string, unknown>;
    const inner = (k: string) => (typeof parsed[k] === 'string' ? (parsed[k] as string) : undefined);
    const errName = inner('error') ?? inner('Error') ?? inner('errorType');
    const errCause = inner('cause') ?? inner('Cause') ?? inner('errorMessage');
    if (errName || errCause) reason = `${errName ?? name}: ${errCause ?? ''}`.replace(/: $/, '');
  } catch {
    /* plain text cause */
  }
  if (/ExecutionAlreadyExists/.test(name)) reason = `${reason} (another batch execution already started this item's run and its result is not written yet)`;
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}...` : reason;
}

/** The key of a run's `result.json`: from its `resultUri` when known, else `<resultsPrefix><runId>/result.json`. */
export function runResultKey(runId: string, resultsPrefix: string, resultUri?: string): string {
  const m = resultUri ? /^s3:\/\/[^/]+\/(.+)$/.exec(resultUri) : null;
  return m ? m[1] : runArtifactObjectKey(runId, RUN_ARTIFACT_FILES.result, resultsPrefix);
}

/**
 * Combine an item's record and its run's `result.json` (either may be missing) into a result line.
 * The result file wins: it exists for every run that reached FinalizeRun or RecordFailure, including
 * runs an earlier batch execution started (ExecutionAlreadyExists).
 */
export function resultLineFromRecord(item: ItemRef, record: ItemRecord | undefined, result: RunSummary | undefined): BatchResultLine {
  const latency = recordLatencyMs(record);
  if (result) return resultLineFromSummary(item, result, latency);
  if (record?.Error) return failedResultLine(item, describeStepFailure(record), latency);
  if (record?.output) {
    const o = record.output;
    const why = o.errorName ? `${o.errorName}: ${o.errorMessage ?? ''}` : `the run ended (${o.status ?? 'unknown status'}) but its result.json could not be read`;
    return failedResultLine(item, why, latency);
  }
  return failedResultLine(item, 'no record of this item: its child workflow failed before recording an outcome (see the Map Run in the Step Functions console)');
}
