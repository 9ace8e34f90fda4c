/** Lambda entry point of the RootTurn task (see lib/state-machine-definition.ts). */
import { lambdaEntry } from './aws-runtime';
import { createRootTurnHandler } from './task-handlers';

/** The Lambda handler: AWS adapters from the environment, Powertools around each invocation. */
export const handler = lambdaEntry('RootTurn', (rt) => createRootTurnHandler(rt.deps));
