/**
 * SIGINT (Ctrl-C) and SIGTERM for a running command: the first signal cancels (the engine aborts
 * model calls, stops cells and records the run `cancelled`), a second one exits at once, and if
 * cancelling takes longer than a grace period the process exits anyway.
 */
import { RunCancelledError } from '../../lambdas/core/errors';
import { signalExitCode } from './exit-codes';

/** Seconds a cancel may take before the process exits without waiting for it. */
export const CANCEL_GRACE_MS = 15_000;

/** A watch over the termination signals of this process. */
export interface SignalCancellation {
  /** Fires (reason: `RunCancelledError`) on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** Remove the handlers (the default signal behaviour returns). */
  dispose(): void;
}

/** Options of {@link watchSignals} (injectable for tests). */
export interface WatchSignalsOptions {
  stderr: (line: string) => void;
  graceMs?: number;
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}

/** Install the handlers. */
export function watchSignals(options: WatchSignalsOptions): SignalCancellation {
  const controller = new AbortController();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  let first: NodeJS.Signals | undefined;
  let timer: NodeJS.Timeout | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (first) {
      options.stderr(`rlm: ${sig} again: exiting now without waiting for the cancel to finish`);
      exit(signalExitCode(first));
      return;
    }
    first = sig;
    options.stderr(`rlm: ${sig}: cancelling the run (model calls aborted, cell stopped, transcript kept); send it again to exit at once`);
    controller.abort(new RunCancelledError(`cancelled by ${sig}`));
    timer = setTimeout(() => {
      options.stderr(`rlm: cancelling took more than ${Math.round((options.graceMs ?? CANCEL_GRACE_MS) / 1000)} s; exiting`);
      exit(signalExitCode(sig));
    }, options.graceMs ?? CANCEL_GRACE_MS);
    timer.unref();
  };
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    received: () => first,
    dispose: () => {
      for (const s of signals) process.off(s, handler);
      if (timer) clearTimeout(timer);
    },
  };
}
