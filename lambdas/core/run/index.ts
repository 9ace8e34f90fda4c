/** The run's code, one file per state-machine task (StartRun, RootTurn, FinalizeRun, RecordFailure), plus cancelling a run. */
export { prepareResume, runStateOf, startRun, uniqueNames, type StartRunInput } from './start-run';
export { runRootTurn, type RootTurnInput } from './root-turn';
export { closeRun, finalizeRun, stopSandbox, summarize, writeArtifacts, type RunEnded } from './finalize-run';
export { cancelRun, type CancelledRun } from './cancel-run';
export { parseStepError, recordFailure, type RecordFailureInput } from './record-failure';
export { loadRun, loadTurns, hydrateTurn, ITEM_BYTE_BUDGET } from './spill';
