/**
 * The run's code, one file per state-machine task (StartRun, RootTurn, FinalizeRun, RecordFailure), plus cancelling a
 * run and ending the run of an execution that stopped without a task ending it.
 */
export { prepareResume, runStateOf, startRun, uniqueNames, type StartRunInput } from './start-run';
export { runRootTurn, type RootTurnInput } from './root-turn';
export { closeRun, finalizeRun, stopSandbox, summarize, writeArtifacts, type RunEnded } from './finalize-run';
export { cancelRun, type CancelledRun } from './cancel-run';
export { endedStub, parseStepError, recordFailure, type RecordFailureInput, type StubOutcome } from './record-failure';
export { endingOf, endStoppedRun, type StoppedRunResult } from './end-stopped-run';
export {
  EXECUTION_STATUS_CHANGE, RUN_ID_OF_EXECUTION_PATH, runIdOfExecution, STOPPED_EXECUTION_STATUSES, stoppedExecutionOf,
  type ExecutionStatusDetail, type StoppedExecution, type StoppedExecutionStatus,
} from './executions';
export { loadRun, loadTurns, hydrateTurn, ITEM_BYTE_BUDGET } from './spill';
