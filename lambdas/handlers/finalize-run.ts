/** Lambda entry point of the FinalizeRun task (see lib/state-machine-definition.ts). */
import { lambdaEntry } from './aws-runtime';
import { createFinalizeRunHandler } from './task-handlers';

/** The Lambda handler: AWS adapters from the environment, Powertools around each invocation. */
export const handler = lambdaEntry('FinalizeRun', (rt) => createFinalizeRunHandler(rt.deps));
