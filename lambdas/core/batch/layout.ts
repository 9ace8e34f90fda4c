/**
 * Bucket layout of the trigger and batch machinery: the keys below the prefixes (declared once in
 * `core/bucket-layout.ts`) that the trigger and batch Lambdas read and write.
 *
 * | key                                        | written by            | holds                                   |
 * |--------------------------------------------|-----------------------|-----------------------------------------|
 * | `jobs/<name>.json`                         | you                   | a job manifest (one run per question)   |
 * | `jobs/<name>.error.json`                   | trigger Lambda        | why a job manifest started nothing      |
 * | `inbox/<profile>/...`                      | you                   | a document for a watch profile          |
 * | `batches/pending/<name>.jsonl`             | you                   | a batch manifest waiting for the batch  |
 * | `batches/work/<batchId>/...`               | batch machine         | prepared items and per-item records     |
 * | `batches/results/<batchId>/results.jsonl`  | batch machine         | one line per item                       |
 * | `batches/results/<batchId>/summary.json`   | batch machine         | counts, tokens, cost, latency percentiles |
 * | `batches/processed/<batchId>.jsonl`        | batch machine         | the manifest, moved once summarised     |
 */

import { BUCKET_PREFIXES } from '../bucket-layout';

/** Prefixes (each ends in `/`), declared in `core/bucket-layout.ts`. */
export const TRIGGER_PREFIXES = BUCKET_PREFIXES;

/** Prefixes a manifest may name documents under (what runs may read). */
export const ALLOWED_DOCUMENT_PREFIXES: readonly string[] = [TRIGGER_PREFIXES.documents, TRIGGER_PREFIXES.inbox];

/** Suffix of job failure records (ignored by the trigger so they never start anything). */
export const JOB_ERROR_SUFFIX = '.error.json';

/** `jobs/a/b.json` -> `jobs/a/b.error.json`. */
export function jobErrorKey(jobKey: string): string {
  return jobKey.replace(/\.json$/i, '') + JOB_ERROR_SUFFIX;
}

/** Keys of one batch's work files, results and processed manifest. */
export interface BatchKeys {
  /** JSON array of the valid items: what the Distributed Map reads. */
  items: string;
  /** JSON array of the invalid lines with their reasons. */
  invalid: string;
  /** Prefix of the per-item records the map writes (`<prefix><index>.json`). */
  itemRecords: string;
  results: string;
  summary: string;
  processed: string;
}

/** Where a batch's files go. */
export function batchKeys(batchId: string): BatchKeys {
  const work = `${TRIGGER_PREFIXES.batchWork}${batchId}/`;
  const results = `${TRIGGER_PREFIXES.batchResults}${batchId}/`;
  return {
    items: `${work}items.json`,
    invalid: `${work}invalid.json`,
    itemRecords: `${work}items/`,
    results: `${results}results.jsonl`,
    summary: `${results}summary.json`,
    processed: `${TRIGGER_PREFIXES.batchProcessed}${batchId}.jsonl`,
  };
}

/** The per-item record key the map writes for item `index`. */
export function itemRecordKey(batchId: string, index: number): string {
  return `${batchKeys(batchId).itemRecords}${index}.json`;
}

/** True for `batches/pending/<name>.jsonl` directly under the pending prefix. */
export function isPendingManifestKey(key: string): boolean {
  if (!key.startsWith(TRIGGER_PREFIXES.batchPending) || !/\.jsonl$/i.test(key)) return false;
  return !key.slice(TRIGGER_PREFIXES.batchPending.length).includes('/');
}

/** The file name of a key without folders and without its last extension(s) (`.json`, `.jsonl`). */
export function baseName(key: string): string {
  const file = key.split('/').filter(Boolean).pop() ?? key;
  return file.replace(/\.(jsonl|json|txt|md)$/i, '') || file;
}
