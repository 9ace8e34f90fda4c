/**
 * Lambda entry point of the batch machine's SummarizeBatch step: `{batch: PreparedBatch}` -> `FinishedBatch`.
 * Writes `batches/results/<batchId>/results.jsonl` and `summary.json`, moves the manifest to
 * `batches/processed/`. Environment: BUCKET_NAME, RESULTS_PREFIX.
 */
import { finishBatch, type BatchDeps, type FinishedBatch, type PreparedBatch } from '../core/batch/batch-steps';
import { BatchStateError } from '../core/batch/errors';
import { batchStepDeps, once } from './batch-container';

/** The handler over injected dependencies. */
export function createSummarizeBatchHandler(deps: BatchDeps) {
  return async (event: unknown): Promise<FinishedBatch> => {
    const batch = (event as { batch?: PreparedBatch } | null)?.batch;
    if (!batch || typeof batch.batchId !== 'string' || typeof batch.manifestKey !== 'string') {
      throw new BatchStateError('SummarizeBatch needs {batch: {batchId, manifestKey, ...}} from PrepareBatch');
    }
    return finishBatch(deps, { batch });
  };
}

const built = once(() => createSummarizeBatchHandler(batchStepDeps()));

/** Lambda handler. */
export const handler = async (event: unknown): Promise<FinishedBatch> => built()(event);
