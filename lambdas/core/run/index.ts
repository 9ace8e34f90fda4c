/** The run's code, one file per state-machine task (StartRun, RootTurn, FinalizeRun, RecordFailure). */
export { prepareResume, runStateOf, startRun, uniqueNames, type StartRunInput } from './start-run';
export { runRootTurn, type RootTurnInput } from './root-turn';
export { closeRun, finalizeRun, stopSandbox, summarize, type RunEnded } from './finalize-run';
export { parseStepError, recordFailure, type RecordFailureInput } from './record-failure';
export { loadRun, loadTurns, hydrateTurn, ITEM_BYTE_BUDGET } from './spill';
