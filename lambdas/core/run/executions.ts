/**
 * A run's Step Functions execution as core knows it: the execution is named by the run ID (the definition
 * passes {@link RUN_ID_OF_EXECUTION_PATH} as `runId` to its tasks; `rlm submit`, the triggers and the batch
 * machine name executions by run ID), and when an execution stops without a task ending its run, the
 * "Step Functions Execution Status Change" event (EventBridge) is what tells the pipeline
 * (core/run/end-stopped-run.ts). Pure data and parsing: no SDK.
 */
import { isValidRunId } from '../bucket-layout';
import { InvalidInputError } from '../errors';

/** JSONPath the definition reads the run ID from: the execution's name. */
export const RUN_ID_OF_EXECUTION_PATH = '$$.Execution.Name';

/** Source and detail type of the event Step Functions sends when a Standard execution changes status. */
export const EXECUTION_STATUS_CHANGE = { source: 'aws.states', detailType: 'Step Functions Execution Status Change' } as const;

/** Statuses of an execution that may have ended without FinalizeRun or RecordFailure ending its run. */
export const STOPPED_EXECUTION_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;

/** One of {@link STOPPED_EXECUTION_STATUSES}. */
export type StoppedExecutionStatus = (typeof STOPPED_EXECUTION_STATUSES)[number];

/**
 * The `detail` of an Execution Status Change event, the fields this pipeline reads (the event also has
 * `startDate`/`stopDate` in epoch ms, `output`/`outputDetails`, redrive fields). `input` is the execution
 * input as a JSON string, left out (`inputDetails.included: false`) when input and output exceed 248 KB.
 */
export interface ExecutionStatusDetail {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  input?: string | null;
  inputDetails?: { included: boolean } | null;
  error?: string | null;
  cause?: string | null;
}

/** A stopped execution of a run, from its status-change event. */
export interface StoppedExecution {
  runId: string;
  executionArn: string;
  status: StoppedExecutionStatus;
  /** The execution's error and cause (StopExecution's, or the failure's), when it has them. */
  error?: string;
  cause?: string;
  /** The execution input (the start request), when the event carried it. */
  input?: unknown;
}

/** The run ID of an execution: its name. */
export function runIdOfExecution(detail: Pick<ExecutionStatusDetail, 'name'>): string {
  return detail.name;
}

/**
 * The stopped execution an Execution Status Change event reports, or `undefined` when the event is not one
 * to act on (another status, or a name that is no run ID: such an execution never had a run). Throws
 * `InvalidInputError` for an event without the detail fields.
 */
export function stoppedExecutionOf(event: unknown): StoppedExecution | undefined {
  const detail = (event as { detail?: Partial<ExecutionStatusDetail> } | null)?.detail;
  if (!detail || typeof detail.executionArn !== 'string' || typeof detail.name !== 'string' || typeof detail.status !== 'string') {
    throw new InvalidInputError(`not a "${EXECUTION_STATUS_CHANGE.detailType}" event: its detail needs executionArn, name and status`);
  }
  const status = STOPPED_EXECUTION_STATUSES.find((s) => s === detail.status);
  const runId = runIdOfExecution(detail as ExecutionStatusDetail);
  if (!status || !isValidRunId(runId)) return undefined;
  let input: unknown;
  if (typeof detail.input === 'string' && detail.inputDetails?.included !== false) {
    try {
      input = JSON.parse(detail.input);
    } catch {
      input = undefined; // not JSON: the execution's StartRun refused it; the run has no request to keep
    }
  }
  return {
    runId, executionArn: detail.executionArn, status,
    ...(detail.error ? { error: detail.error } : {}), ...(detail.cause ? { cause: detail.cause } : {}),
    ...(input !== undefined ? { input } : {}),
  };
}
