/**
 * The three Lambda steps of the batch state machine over the bucket, as plain functions:
 * list pending manifests, prepare one (validate lines, write the map's items), finish it (results,
 * summary, move the manifest). The state between them is IDs and counters only.
 */
import type { Logger } from '../ports';
import type { RunSummary } from '../types';
import { MAX_BATCH_MANIFEST_BYTES, parseBatchManifest, type BatchItem } from './batch-manifest';
import { bucketDocumentResolver } from './documents';
import { BatchStateError, ObjectTooLargeError } from './errors';
import { resultLineFromRecord, runResultKey, type ItemRecord } from './item-outcome';
import { baseName, batchKeys, isPendingManifestKey, itemRecordKey, TRIGGER_PREFIXES } from './layout';
import { batchIdFor, batchItemRunName } from './names';
import { mapWithConcurrency } from './pool';
import type { ObjectStore } from './ports';
import { failedResultLine, summarizeBatch, toJsonLines, type BatchResultLine } from './results';

/** What the batch steps need. */
export interface BatchDeps {
  objects: ObjectStore;
  bucket: string;
  /** Prefix of run artifacts (`results/`): where each run's result.json is. */
  resultsPrefix: string;
  logger: Logger;
  now?: () => number;
  /** Parallel reads when finishing (default 16). */
  readConcurrency?: number;
}

/** Output of ListPending. */
export interface PendingListing {
  /** Manifests finished by this execution so far. */
  processed: number;
  /** The next manifest to run; absent when none is pending (or the per-execution cap is reached). */
  next?: string;
  pending: number;
}

/** A map item (one element of `items.json`): what the item processor needs to start the run. */
export interface MapItem {
  batchId: string;
  index: number;
  id: string;
  runId: string;
  request: NonNullable<BatchItem['request']>;
}

/** Output of PrepareBatch (kept small: keys and counts). */
export interface PreparedBatch {
  batchId: string;
  manifestKey: string;
  itemsKey: string;
  items: number;
  valid: number;
  invalid: number;
  startedAt: string;
}

/** Output of FinishBatch. */
export interface FinishedBatch {
  batchId: string;
  items: number;
  succeeded: number;
  failed: number;
  resultsKey: string;
  summaryKey: string;
  processedKey: string;
}

/** Manifests one batch execution processes unless the stack sets another cap (the rest wait for the next one). */
export const DEFAULT_MAX_MANIFESTS_PER_EXECUTION = 25;

const iso = (deps: { now?: () => number }) => new Date((deps.now ?? Date.now)()).toISOString();

/** List `batches/pending/*.jsonl`; the next one is the first by key (name them with a date to order them). */
export async function listPending(deps: BatchDeps, input: { processed?: number; maxManifests?: number } = {}): Promise<PendingListing> {
  const processed = typeof input.processed === 'number' && input.processed >= 0 ? input.processed : 0;
  const keys = (await deps.objects.list(TRIGGER_PREFIXES.batchPending)).map((o) => o.key).filter(isPendingManifestKey).sort();
  const capped = input.maxManifests !== undefined && processed >= input.maxManifests;
  if (capped && keys.length) deps.logger.info('manifest cap reached; the rest wait for the next execution', { pending: keys.length, processed });
  return { processed, pending: keys.length, ...(keys.length && !capped ? { next: keys[0] } : {}) };
}

/**
 * Validate every line of a pending manifest and write the work files: `items.json` (the valid items,
 * read by the Distributed Map) and `invalid.json` (lines reported as failed). Throws `BatchStateError`
 * when the manifest is gone (another execution took it).
 */
export async function prepareBatch(deps: BatchDeps, input: { manifestKey: string }): Promise<PreparedBatch> {
  const manifestKey = input.manifestKey;
  if (typeof manifestKey !== 'string' || !isPendingManifestKey(manifestKey)) throw new BatchStateError(`not a pending manifest key: ${JSON.stringify(manifestKey)}`);
  let items: BatchItem[];
  let batchId: string;
  const gone = () => new BatchStateError(`${manifestKey} no longer exists (another batch execution may have processed it)`);
  // List first: without s3:ListBucket a missing key reads as AccessDenied, not NotFound.
  if (!(await deps.objects.list(manifestKey)).some((o) => o.key === manifestKey)) throw gone();
  try {
    const got = await deps.objects.getText(manifestKey, { maxBytes: MAX_BATCH_MANIFEST_BYTES });
    if (!got) throw gone();
    batchId = batchIdFor(baseName(manifestKey), [deps.bucket, manifestKey, got.versionId ?? got.etag ?? got.text]);
    items = parseBatchManifest(got.text, { batchId, resolveDocument: bucketDocumentResolver(deps.bucket) });
  } catch (err) {
    if (!(err instanceof ObjectTooLargeError)) throw err;
    batchId = batchIdFor(baseName(manifestKey), [deps.bucket, manifestKey, 'too-large']);
    items = [{ index: 0, line: 0, id: 'manifest', runId: batchItemRunName(batchId, 0), error: err.message }];
  }
  const keys = batchKeys(batchId);
  const valid: MapItem[] = items.filter((i) => i.request).map((i) => ({ batchId, index: i.index, id: i.id, runId: i.runId, request: i.request! }));
  const invalid = items.filter((i) => i.error).map((i) => ({ index: i.index, line: i.line, id: i.id, error: i.error! }));
  await deps.objects.putText(keys.items, JSON.stringify(valid), 'application/json');
  await deps.objects.putText(keys.invalid, JSON.stringify(invalid), 'application/json');
  deps.logger.info('batch prepared', { batchId, manifestKey, valid: valid.length, invalid: invalid.length });
  return { batchId, manifestKey, itemsKey: keys.items, items: items.length, valid: valid.length, invalid: invalid.length, startedAt: iso(deps) };
}

async function readJson<T>(deps: BatchDeps, key: string): Promise<T | undefined> {
  const got = await deps.objects.getText(key);
  if (!got) return undefined;
  try {
    return JSON.parse(got.text) as T;
  } catch {
    deps.logger.warn('unreadable JSON object', { key });
    return undefined;
  }
}

/**
 * Build the results of a prepared batch once its map is done: one line per item (manifest order),
 * `results.jsonl`, `summary.json`, then move the manifest to `batches/processed/<batchId>.jsonl`.
 */
export async function finishBatch(deps: BatchDeps, input: { batch: PreparedBatch }): Promise<FinishedBatch> {
  const { batchId, manifestKey, startedAt } = input.batch;
  const keys = batchKeys(batchId);
  const valid = await readJson<MapItem[]>(deps, keys.items);
  const invalid = await readJson<Array<{ index: number; id: string; error: string }>>(deps, keys.invalid);
  if (!valid || !invalid) throw new BatchStateError(`the work files of batch ${batchId} are missing (${keys.items}, ${keys.invalid})`);
  // Read only what exists (listed first): an item may have no record, a run may have no result.json.
  const records = new Set((await deps.objects.list(keys.itemRecords)).map((o) => o.key));
  const ran = await mapWithConcurrency(valid, deps.readConcurrency ?? 16, async (item): Promise<BatchResultLine> => {
    const recordKey = itemRecordKey(batchId, item.index);
    const record = records.has(recordKey) ? await readJson<ItemRecord>(deps, recordKey) : undefined;
    const resultKey = runResultKey(item.runId, deps.resultsPrefix, record?.output?.resultUri);
    const known = Boolean(record?.output?.resultUri) || (await deps.objects.list(resultKey)).some((o) => o.key === resultKey);
    const result = known ? await readJson<RunSummary>(deps, resultKey) : undefined;
    return resultLineFromRecord(item, record, result);
  });
  const lines = [...ran, ...invalid.map((i) => failedResultLine(i, i.error))].sort((a, b) => a.index - b.index);
  const summary = summarizeBatch(lines, {
    batchId, manifest: `s3://${deps.bucket}/${manifestKey}`, startedAt, finishedAt: iso(deps), results: `s3://${deps.bucket}/${keys.results}`,
  });
  await deps.objects.putText(keys.results, toJsonLines(lines), 'application/x-ndjson');
  await deps.objects.putText(keys.summary, JSON.stringify(summary, null, 2) + '\n', 'application/json');
  const moved = await deps.objects.move(manifestKey, keys.processed);
  deps.logger.info('batch finished', { batchId, items: lines.length, succeeded: summary.succeeded, failed: summary.failed, moved });
  return {
    batchId, items: lines.length, succeeded: summary.succeeded, failed: summary.failed,
    resultsKey: keys.results, summaryKey: keys.summary, processedKey: keys.processed,
  };
}
