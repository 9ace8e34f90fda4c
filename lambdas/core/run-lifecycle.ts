/** Compatibility re-exports: the run's code lives in `core/run/` (one file per state-machine task). */
export {
  finalizeRun, parseStepError, prepareResume, recordFailure, runStateOf, startRun, summarize, uniqueNames,
  type RecordFailureInput, type RunEnded, type StartRunInput,
} from './run';
