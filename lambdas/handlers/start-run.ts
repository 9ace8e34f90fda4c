/** Lambda entry point of the StartRun task (see lib/state-machine-definition.ts). */
import { lambdaEntry } from './aws-runtime';
import { createStartRunHandler } from './task-handlers';

/** The Lambda handler: AWS adapters from the environment, Powertools around each invocation. */
export const handler = lambdaEntry('StartRun', (rt) => createStartRunHandler(rt.deps, rt.settings));
