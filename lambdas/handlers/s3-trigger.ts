/**
 * Lambda entry point of the S3 trigger (EventBridge rule on Object Created under `jobs/` and `inbox/`).
 * Environment: BUCKET_NAME, RUN_STATE_MACHINE_ARN, WATCH_PROFILES (see batch-env.ts).
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { handleObjectCreated, type TriggerDeps, type TriggerResult } from '../core/batch/trigger';
import { parseWatchProfilesJson } from '../core/batch/watch-profiles';
import { SfnExecutionStarter } from '../adapters/sfn';
import { batchContainer, once } from './batch-container';
import { requireEnv, TRIGGER_ENV } from './batch-env';

/** The handler over injected dependencies (tests, local use). */
export function createS3TriggerHandler(deps: TriggerDeps) {
  return async (event: unknown): Promise<TriggerResult> => handleObjectCreated(deps, event);
}

const deps = once((): TriggerDeps => {
  const c = batchContainer('rlm-trigger');
  return {
    objects: c.objects, bucket: c.bucket, logger: c.logger,
    starter: new SfnExecutionStarter({ client: new SFNClient({ region: c.region }), stateMachineArn: requireEnv(TRIGGER_ENV.runStateMachineArn) }),
    watchProfiles: parseWatchProfilesJson(process.env[TRIGGER_ENV.watchProfiles]),
  };
});

/** Lambda handler. */
export const handler = async (event: unknown): Promise<TriggerResult> => createS3TriggerHandler(deps())(event);
