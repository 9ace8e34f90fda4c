/** Compatibility re-exports: the run's code lives in `core/run/` (one file per state-machine task). */
export {
  cancelRun, finalizeRun, parseStepError, prepareResume, recordFailure, runStateOf, startRun, summarize, uniqueNames, writeArtifacts,
  type RecordFailureInput, type RunEnded, type StartRunInput,
} from './run';
