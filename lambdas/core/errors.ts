/**
 * Named errors, one base class per port (model, sandbox, conversation store, documents). Step Functions
 * Retry/Catch match on `name` (the Lambda runtime reports it as `errorType`), so every class sets `name`
 * from the class and passes `cause` on. Code decides by class (`instanceof`), never by the name string.
 */

/** Base class: sets `name` from the subclass and keeps the cause. */
export class RlmError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input to a run or a handler is invalid (bad question, unreadable document, bad config). Not retried. */
export class InvalidInputError extends RlmError {}

/** Configuration (CDK props/context, CLI flags, env) is invalid. */
export class ConfigError extends RlmError {}

// ---------------------------------------------------------------- documents port

/** Base of the documents port's errors (documents read, artifacts written). */
export class DocumentStoreError extends RlmError {}

/** Documents and artifacts: a document is binary, unreadable or missing (bad input). Not retried. */
export class DocumentError extends DocumentStoreError {}

/**
 * The document/artifact store failed transiently even after the client's own retries (S3 `InternalError`,
 * `SlowDown`, 5xx, a dropped connection). Retried by the state machine: reads and artifact writes (whole-object
 * PUTs of the same key) are idempotent.
 */
export class DocumentStoreUnavailableError extends DocumentStoreError {}

// ---------------------------------------------------------------- model port

/** Base of the language-model port's errors. */
export class ModelError extends RlmError {}

/** The model provider throttled us. Retried by the state machine with jittered backoff. */
export class ModelThrottledError extends ModelError {}

/** The model provider failed transiently (5xx, timeout). Retried by the state machine. */
export class ModelUnavailableError extends ModelError {}

/** The prompt does not fit the model's context window (eval harness marks the question unsuccessful). */
export class ContextWindowExceededError extends ModelError {}

/** The model call failed for a reason retrying will not fix (access denied, bad model ID). */
export class ModelInvocationError extends ModelError {}

/** No language model could be configured (no credentials, nothing chosen). The message names the options. */
export class ModelNotConfiguredError extends ModelError {}

/** A scripted model has no more root turns, or its file is malformed. */
export class ScriptExhaustedError extends ModelError {}

// ---------------------------------------------------------------- sandbox port

/** Base of the sandbox port's errors; thrown as is when the sandbox failed in a way that is not the model's code's fault. */
export class SandboxError extends RlmError {}

/**
 * The sandbox throttled us (AgentCore) before the cell produced any output: the cell did not run.
 * Retried by the state machine; a retried turn runs that cell again.
 */
export class SandboxThrottledError extends SandboxError {}

/**
 * The sandbox failed transiently (5xx, dropped stream). `cellDidNotRun` is true when the adapter knows no
 * output had arrived (the cell did not run); otherwise the cell's fate is unknown and a retried turn reports
 * it to the model as interrupted. Retried by the state machine.
 */
export class SandboxUnavailableError extends SandboxError {
  readonly cellDidNotRun: boolean;
  constructor(message: string, options?: { cause?: unknown; cellDidNotRun?: boolean }) {
    super(message, options);
    this.cellDidNotRun = options?.cellDidNotRun ?? false;
  }
}

/** The sandbox session is gone (expired, stopped, worker died). */
export class SandboxSessionLostError extends SandboxError {}

// ---------------------------------------------------------------- conversation store port

/** Base of the conversation store's errors. */
export class ConversationStoreError extends RlmError {}

/** A conversation-store item was not found. */
export class RunNotFoundError extends ConversationStoreError {}

/** A conditional write lost: the turn (or run) was already written by an earlier attempt. */
export class TurnAlreadyRecordedError extends ConversationStoreError {}

/** A conditional write lost: a step of a turn in progress with this sequence number is already recorded. */
export class StepAlreadyRecordedError extends ConversationStoreError {}

/** A conditional write lost because the run moved on (another writer, or the run already ended). */
export class RunStateConflictError extends ConversationStoreError {}

/**
 * A store's refusal to record a new sandbox session on a run that ended (`setSandboxSession`): a turn still
 * running when its execution was stopped must not leave a session behind it (the caller stops the session).
 */
export function sessionOnEndedRunError(runId: string, status: string): RunStateConflictError {
  return new RunStateConflictError(`cannot record a new sandbox session for run ${runId}: it is ${status} (the run has ended)`);
}

/** The store throttled a read or write even after the client's own retries. Retried by the state machine. */
export class ConversationStoreThrottledError extends ConversationStoreError {}

/** The store failed transiently (5xx, dropped connection). Retried by the state machine (writes are conditional). */
export class ConversationStoreUnavailableError extends ConversationStoreError {}

// ---------------------------------------------------------------- executions (Step Functions)

/**
 * The run's execution reached the state machine's own timeout (TIMED_OUT): no task recorded the end, so the
 * stopped-run handler (core/run/end-stopped-run.ts) marks the run failed with this error.
 */
export class ExecutionTimedOutError extends RlmError {}

/**
 * The run's execution FAILED without RecordFailure marking the run (an error outside the Catch, e.g.
 * `States.Runtime`, or RecordFailure itself failing for good); the message names the execution's error and cause.
 */
export class ExecutionFailedError extends RlmError {}

// ---------------------------------------------------------------- cancellation (crosses the ports)

/**
 * A call was aborted by its caller's `AbortSignal` (run cancelled, cell interrupted, session closed).
 * Named `AbortError` as `ModelCallOptions.signal` promises. Directly under `RlmError`, not a port's base:
 * model calls, sandbox sub-calls and sessions all raise it when their caller gave up. Never retried.
 */
export class AbortError extends RlmError {}

/** The run was cancelled (SIGINT/SIGTERM to the CLI, or a caller's cancel). Not retried; the run ends `cancelled`. */
export class RunCancelledError extends RlmError {}

// ---------------------------------------------------------------- retries

/**
 * Errors the state machine retries (jittered backoff): transient, and safe to retry because every step a
 * task takes is recorded and replayed (core/run/root-turn.ts). lib/state-machine-definition.ts builds its
 * Retry from the names.
 */
export const RETRYABLE_ERRORS = [
  ModelThrottledError,
  ModelUnavailableError,
  SandboxThrottledError,
  SandboxUnavailableError,
  ConversationStoreThrottledError,
  ConversationStoreUnavailableError,
  DocumentStoreUnavailableError,
] as const;

/** Names of `RETRYABLE_ERRORS` (what Step Functions matches). */
export const RETRYABLE_ERROR_NAMES: readonly string[] = RETRYABLE_ERRORS.map((c) => c.name);

/** True when `err` is one of the retryable classes. */
export function isRetryable(err: unknown): boolean {
  return RETRYABLE_ERRORS.some((c) => err instanceof c);
}

/** Render any thrown value as `Name: message` for transcripts and failure records. */
export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name || 'Error', message: err.message };
  return { name: 'Error', message: String(err) };
}
