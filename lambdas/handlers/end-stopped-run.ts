/**
 * Lambda entry point of EndStoppedRun: the target of the rule on the run state machine's ABORTED, TIMED_OUT and
 * FAILED status-change events (lib/stopped-runs.ts); ends a run its execution left `running`.
 */
import { lambdaEntry } from './aws-runtime';
import { createEndStoppedRunHandler } from './task-handlers';

/** The Lambda handler: AWS adapters from the environment, Powertools around each invocation. */
export const handler = lambdaEntry('EndStoppedRun', (rt) => createEndStoppedRunHandler(rt.deps));
