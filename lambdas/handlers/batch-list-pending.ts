/**
 * Lambda entry point of the batch machine's ListPending step: `{processed}` -> `{processed, next?, pending}`.
 * Environment: BUCKET_NAME, RESULTS_PREFIX, MAX_MANIFESTS_PER_EXECUTION.
 */
import { listPending, type BatchDeps, type PendingListing } from '../core/batch/batch-steps';
import { batchContainer, intEnv, once, TRIGGER_ENV } from './batch-env';

/** Default cap of manifests per batch execution. */
export const DEFAULT_MAX_MANIFESTS = 25;

/** The handler over injected dependencies. */
export function createListPendingHandler(deps: BatchDeps, maxManifests = DEFAULT_MAX_MANIFESTS) {
  return async (event: unknown): Promise<PendingListing> => {
    const processed = (event as { processed?: unknown } | null)?.processed;
    return listPending(deps, { processed: typeof processed === 'number' ? processed : 0, maxManifests });
  };
}

const built = once(() => {
  const c = batchContainer('rlm-batch');
  const deps: BatchDeps = { objects: c.objects, bucket: c.bucket, logger: c.logger, resultsPrefix: process.env[TRIGGER_ENV.resultsPrefix] ?? 'results/' };
  return createListPendingHandler(deps, intEnv(TRIGGER_ENV.maxManifests, DEFAULT_MAX_MANIFESTS));
});

/** Lambda handler. */
export const handler = async (event: unknown): Promise<PendingListing> => built()(event);
