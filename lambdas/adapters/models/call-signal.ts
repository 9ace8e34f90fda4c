/**
 * Abort plumbing shared by the model adapters: one signal per call that fires on the caller's abort
 * or on the adapter's own timeout, and tells the two apart afterwards.
 */
import { AbortError } from '../../core/errors';

/** The signal of one call and how to read why it fired. */
export interface CallSignal {
  signal: AbortSignal;
  /** The caller's signal fired (run cancelled, cell interrupted): not retryable. */
  callerAborted(): boolean;
  /** The adapter's timeout fired: the server did not answer in time (retryable as unavailable). */
  timedOut(): boolean;
}

/** Combine the caller's optional signal with a per-call timeout. */
export function callSignal(caller: AbortSignal | undefined, timeoutMs: number): CallSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return {
    signal: caller ? AbortSignal.any([caller, timeout]) : timeout,
    callerAborted: () => caller?.aborted === true,
    timedOut: () => timeout.aborted && caller?.aborted !== true,
  };
}

/** The error a call rejects with when its caller aborted it. */
export function abortError(what: string, signal?: AbortSignal, cause?: unknown): AbortError {
  const reason = signal?.reason as { message?: unknown } | undefined;
  const why = typeof reason?.message === 'string' && reason.message ? `: ${reason.message}` : '';
  return new AbortError(`${what} was aborted${why}`, { cause: cause ?? signal?.reason });
}

/** Throw {@link abortError} if `signal` has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(what, signal);
}

/** Wait `ms`, or reject with {@link abortError} as soon as `signal` fires. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(what, signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(what, signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
