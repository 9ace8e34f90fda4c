/**
 * A `LanguageModel` decorator that retries throttling and transient failures with full-jitter
 * exponential backoff, for the calls nothing else retries: sub-calls from the sandbox bridge (root
 * calls on the pipeline are retried by the state machine's Retry, see lib/state-machine-definition.ts).
 */
import { ModelThrottledError, ModelUnavailableError } from '../../core/errors';
import type { LanguageModel, ModelCallOptions, ModelRequest, ModelResponse, ModelRole, RetryInfo } from '../../core/ports';
import { abortableSleep, throwIfAborted } from './call-signal';

/** Options of {@link RetryingModel}. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 4: five attempts in all). */
  maxRetries?: number;
  /** Backoff cap of the first retry in ms; doubles each retry (default 1,000). */
  baseDelayMs?: number;
  /** Largest backoff cap in ms (default 20,000). */
  maxDelayMs?: number;
  /** Roles whose calls are retried here (default `['sub']`); other roles pass straight through. */
  roles?: ModelRole[];
  /** Random source in [0, 1) for the jitter (tests). */
  random?: () => number;
  /** Told before each retry, in addition to the call's own `options.onRetry` (e.g. the CLI's progress). */
  onRetry?: (info: RetryInfo) => void;
}

/** Defaults of {@link RetryPolicy}; docs/cli.md adds up what they mean for a hung server. */
export const DEFAULT_RETRY_POLICY = { maxRetries: 4, baseDelayMs: 1_000, maxDelayMs: 20_000 } as const;

/** True for the errors a retry may fix: throttling and transient unavailability (5xx, timeouts, resets). */
export function isRetryableModelError(err: unknown): boolean {
  return err instanceof ModelThrottledError || err instanceof ModelUnavailableError;
}

/** Full jitter: a uniform delay in [0, min(maxDelay, base * 2^(retry-1))). `retry` is 1-based. */
export function fullJitterDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

/** Retries {@link isRetryableModelError} failures of the configured roles; honours `signal` while waiting. */
export class RetryingModel implements LanguageModel {
  readonly description: string;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly roles: ReadonlySet<ModelRole>;
  private readonly random: () => number;
  private readonly onRetry?: (info: RetryInfo) => void;

  /** @param inner the model to call; @param policy attempts, backoff and roles. */
  constructor(readonly inner: LanguageModel, policy: RetryPolicy = {}) {
    this.description = inner.description;
    this.maxRetries = policy.maxRetries ?? DEFAULT_RETRY_POLICY.maxRetries;
    this.baseDelayMs = policy.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs;
    this.maxDelayMs = policy.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs;
    this.roles = new Set(policy.roles ?? ['sub']);
    this.random = policy.random ?? Math.random;
    this.onRetry = policy.onRetry;
  }

  /** Call `inner`, retrying retryable failures of the configured roles; `options.onRetry` is told before each retry. */
  async converse(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    if (!this.roles.has(request.role)) return this.inner.converse(request, options);
    for (let retry = 1; ; retry++) {
      throwIfAborted(options.signal, `${request.role} call to ${request.modelId}`);
      try {
        return await this.inner.converse(request, options);
      } catch (err) {
        if (!isRetryableModelError(err) || retry > this.maxRetries || options.signal?.aborted) throw err;
        const delayMs = fullJitterDelay(retry, this.baseDelayMs, this.maxDelayMs, this.random);
        const info: RetryInfo = { role: request.role, attempt: retry, maxAttempts: this.maxRetries, delayMs, error: (err as Error).name };
        this.onRetry?.(info);
        options.onRetry?.(info);
        await abortableSleep(delayMs, options.signal, `${request.role} call to ${request.modelId}`);
      }
    }
  }
}
