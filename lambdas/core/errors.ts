/**
 * Named errors. Step Functions Retry/Catch match on `name` (the Lambda runtime reports it as
 * `errorType`), so every class sets `name` explicitly and passes `cause` on.
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

/** A document is binary, unreadable or missing. Not retried. */
export class DocumentError extends RlmError {}

/** The model provider throttled us. Retried by the state machine with jittered backoff. */
export class ModelThrottledError extends RlmError {}

/** The model provider failed transiently (5xx, timeout). Retried by the state machine. */
export class ModelUnavailableError extends RlmError {}

/** The prompt does not fit the model's context window (eval harness marks the question unsuccessful). */
export class ContextWindowExceededError extends RlmError {}

/** The model call failed for a reason retrying will not fix (access denied, bad model ID). */
export class ModelInvocationError extends RlmError {}

/** No language model could be configured (no credentials, nothing chosen). The message names the options. */
export class ModelNotConfiguredError extends RlmError {}

/** A scripted model has no more root turns, or its file is malformed. */
export class ScriptExhaustedError extends RlmError {}

/** The sandbox throttled us (AgentCore). Retried by the state machine. */
export class SandboxThrottledError extends RlmError {}

/** The sandbox session is gone (expired, stopped, worker died). */
export class SandboxSessionLostError extends RlmError {}

/** The sandbox failed in a way that is not the model's code's fault. */
export class SandboxError extends RlmError {}

/** A conversation-store item was not found. */
export class RunNotFoundError extends RlmError {}

/** A conditional write lost: the turn (or run) was already written by an earlier attempt. */
export class TurnAlreadyRecordedError extends RlmError {}

/** A conditional write lost because the run moved on (another writer, or the run already ended). */
export class RunStateConflictError extends RlmError {}

/** Configuration (CDK props/context, CLI flags, env) is invalid. */
export class ConfigError extends RlmError {}

/**
 * A call was aborted by its caller's `AbortSignal` (run cancelled, cell interrupted, session closed).
 * Named `AbortError` as `ModelCallOptions.signal` promises. Never retried.
 */
export class AbortError extends RlmError {}

/** The run was cancelled (SIGINT/SIGTERM to the CLI, or a caller's cancel). Not retried; the run ends `cancelled`. */
export class RunCancelledError extends RlmError {}

/**
 * Names of errors the state machine retries (jittered backoff); lib/state-machine-definition.ts builds its
 * Retry from this list. `ConversationStoreThrottledError` is the DynamoDB adapter's (adapters/dynamodb/errors.ts).
 */
export const RETRYABLE_ERROR_NAMES = [
  'ModelThrottledError',
  'ModelUnavailableError',
  'SandboxThrottledError',
  'ConversationStoreThrottledError',
] as const;

/** Render any thrown value as `Name: message` for transcripts and failure records. */
export function describeError(err: unknown): { name: string; message: string } {
  if (err instanceof Error) return { name: err.name || 'Error', message: err.message };
  return { name: 'Error', message: String(err) };
}
