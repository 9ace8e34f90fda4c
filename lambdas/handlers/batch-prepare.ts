/**
 * Lambda entry point of the batch machine's PrepareBatch step: `{manifestKey}` -> `PreparedBatch`
 * (writes `batches/work/<batchId>/items.json` for the Distributed Map and `invalid.json`).
 * Environment: BUCKET_NAME, RESULTS_PREFIX.
 */
import { prepareBatch, type BatchDeps, type PreparedBatch } from '../core/batch/batch-steps';
import { batchStepDeps, once } from './batch-container';

/** The handler over injected dependencies. */
export function createPrepareBatchHandler(deps: BatchDeps) {
  return async (event: unknown): Promise<PreparedBatch> => prepareBatch(deps, { manifestKey: (event as { manifestKey?: unknown } | null)?.manifestKey as string });
}

const built = once(() => createPrepareBatchHandler(batchStepDeps()));

/** Lambda handler. */
export const handler = async (event: unknown): Promise<PreparedBatch> => built()(event);
