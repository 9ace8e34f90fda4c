/** Lambda entry point of the RecordFailure task (see lib/state-machine-definition.ts). */
import { lambdaEntry } from './aws-runtime';
import { createRecordFailureHandler } from './task-handlers';

/** The Lambda handler: AWS adapters from the environment, Powertools around each invocation. */
export const handler = lambdaEntry('RecordFailure', (rt) => createRecordFailureHandler(rt.deps));
