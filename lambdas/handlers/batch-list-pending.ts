/**
 * Lambda entry point of the batch machine's ListPending step: `{processed}` -> `{processed, next?, pending}`.
 * Environment: BUCKET_NAME, RESULTS_PREFIX, MAX_MANIFESTS_PER_EXECUTION.
 */
import { DEFAULT_MAX_MANIFESTS_PER_EXECUTION, listPending, type BatchDeps, type PendingListing } from '../core/batch/batch-steps';
import { batchStepDeps, once } from './batch-container';
import { intEnv, TRIGGER_ENV } from './batch-env';

/** The handler over injected dependencies. */
export function createListPendingHandler(deps: BatchDeps, maxManifests = DEFAULT_MAX_MANIFESTS_PER_EXECUTION) {
  return async (event: unknown): Promise<PendingListing> => {
    const processed = (event as { processed?: unknown } | null)?.processed;
    return listPending(deps, { processed: typeof processed === 'number' ? processed : 0, maxManifests });
  };
}

const built = once(() => createListPendingHandler(batchStepDeps(), intEnv(TRIGGER_ENV.maxManifests, DEFAULT_MAX_MANIFESTS_PER_EXECUTION)));

/** Lambda handler. */
export const handler = async (event: unknown): Promise<PendingListing> => built()(event);
