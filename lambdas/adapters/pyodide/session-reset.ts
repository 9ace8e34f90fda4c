/**
 * The host's side of resetting a reusable session between runs (split from `pyodide-session.ts`; the worker's
 * side is `resetInterpreter` in sandbox-worker.mjs, the Python pyodide_reset.py): one `reset` frame out,
 * one `reset-done` back, and what the answer means for reuse.
 */
import { seconds } from './cell-outcome';
import type { SandboxToHost } from './worker-protocol';

/** The worker's answer to a reset (worker-protocol.ts `reset-done`). */
export type ResetDone = Extract<SandboxToHost, { type: 'reset-done' }>;

/** One session's reset exchange: at most one reset waits for its answer at a time. */
export class ResetExchange {
  private waiter: ((done: ResetDone | null) => void) | null = null;

  /** Send the reset (`send`) and wait for its answer: null when none came within `timeoutMs` or {@link abandon} was called. */
  request(send: () => void, timeoutMs: number): Promise<ResetDone | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.waiter?.(null), timeoutMs);
      this.waiter = (done) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(done);
      };
      send();
    });
  }

  /** The worker answered. */
  answer(done: ResetDone): void {
    this.waiter?.(done);
  }

  /** The session is gone: stop waiting. */
  abandon(): void {
    this.waiter?.(null);
  }
}

/**
 * Why a reset session cannot serve another run, or null when it can: no answer, a refused reset (`why`
 * from the worker: introspection, state it could not put back), or a heap grown past `maxHeapBytes`.
 */
export function refusalOf(done: ResetDone | null, timeoutMs: number, maxHeapBytes: number): string | null {
  if (!done) return `the sandbox did not confirm its reset within ${seconds(timeoutMs)}`;
  if (!done.clean) return done.why || 'the reset was refused';
  if (!(Number(done.heapBytes) <= maxHeapBytes)) return `its interpreter's heap grew to ${Math.round(Number(done.heapBytes) / 2 ** 20)} MiB`;
  return null;
}
