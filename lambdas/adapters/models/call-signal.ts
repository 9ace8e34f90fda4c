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
  /** The call is over: drop the timer and the listener on the caller's signal. Idempotent. */
  dispose(): void;
}

/** The longest delay a Node timer keeps (longer ones fire after 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Combine the caller's optional signal with a per-call timeout: one controller, one unref'd timer and
 * one listener, all dropped by `dispose()` (what `AbortSignal.timeout` + `AbortSignal.any` did, without
 * their weak references and a timer left behind per call: a root turn makes one call, and those were
 * a visible part of the turn's JavaScript).
 */
export function callSignal(caller: AbortSignal | undefined, timeoutMs: number): CallSignal {
  const controller = new AbortController();
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    controller.abort(new DOMException(`the call timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, Math.min(timeoutMs, MAX_TIMER_MS));
  timer.unref();
  const onCaller = () => controller.abort(caller?.reason);
  if (caller?.aborted) onCaller();
  else caller?.addEventListener('abort', onCaller, { once: true });
  return {
    signal: controller.signal,
    callerAborted: () => caller?.aborted === true,
    timedOut: () => fired && caller?.aborted !== true,
    dispose: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCaller);
    },
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
