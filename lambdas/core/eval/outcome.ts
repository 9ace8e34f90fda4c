/**
 * What a failure means for an evaluation: a question the approach could not handle (recorded as
 * unsuccessful), a transient provider problem (not recorded: a re-run retries it), or a setup problem
 * (stop the evaluation: every question would fail the same way).
 */
import { RlmError } from '../errors';

/** A question could not be finished for a transient reason; it is not recorded, so a re-run retries it. */
export class QuestionDeferredError extends RlmError {}

/** The evaluation stopped: a setup problem (model access, credentials, configuration) would fail every question. */
export class EvalAbortedError extends RlmError {}

/** How a failure is treated. */
export type FailureKind = 'unsuccessful' | 'retry-later' | 'abort';

const TRANSIENT = new Set(['ModelThrottledError', 'ModelUnavailableError', 'SandboxThrottledError']);
const SETUP = new Set(['ModelNotConfiguredError', 'ConfigError']);
const SETUP_CAUSES = new Set([
  'AccessDeniedException', 'ResourceNotFoundException', 'UnrecognizedClientException', 'ExpiredTokenException',
  'InvalidSignatureException', 'CredentialsProviderError',
]);

/**
 * Classify an error by its name (and its cause's name). Throttling and unavailability after retries are
 * `retry-later`; missing access, credentials or configuration is `abort`; everything else (the context
 * does not fit, the model's reply could not be used, the run failed) is `unsuccessful`.
 */
export function classifyFailure(name: string, causeName?: string): FailureKind {
  if (TRANSIENT.has(name)) return 'retry-later';
  if (SETUP.has(name)) return 'abort';
  if (name === 'ModelInvocationError' && causeName !== undefined && SETUP_CAUSES.has(causeName)) return 'abort';
  return 'unsuccessful';
}

/** The name of an error's `cause`, when it has one. */
export function causeNameOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { name?: unknown } } | undefined)?.cause;
  return typeof cause?.name === 'string' ? cause.name : undefined;
}

/** `Name: message` of an error, cut to `max` characters. */
export function errorText(name: string, message: string, max = 500): string {
  const text = `${name}: ${message}`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
