/**
 * Interrupting a timed-out cell, split from `pyodide-session.ts`. A cell is interrupted twice: an IPC
 * `interrupt` makes the sandbox process's main thread set the interrupt byte (stops running Python),
 * and an `interrupt` frame on the direct channel wakes a bridge call waiting for a sub-call reply.
 *
 * The frame usually wins: the cell ends before the main thread handled the IPC message. Set after the
 * next cell started, that byte would stop it (seen on a loaded CI machine), so the main thread
 * acknowledges each IPC interrupt and the next cell waits until all were acknowledged ({@link settled});
 * the worker clears the byte when a cell starts.
 */
import type { HostToProcess, HostToWorker } from './worker-protocol';
import { seconds } from './cell-outcome';

/** What the interrupts of one session go through. */
export interface InterruptPaths {
  /** Send an IPC message to the process's main thread. */
  ipc(msg: HostToProcess): void;
  /** Send a frame to the worker on the direct channel. */
  channel(msg: HostToWorker): void;
  /** The process did not acknowledge in time: record why and kill it. */
  stop(reason: string): void;
}

/** The interrupts of one session: sent, acknowledged, and the wait for the acknowledgements. */
export class CellInterrupts {
  private sent = 0;
  private acked = 0;
  private release: (() => void) | null = null;

  /** `graceMs`: how long the main thread may take to acknowledge before the process is stopped. */
  constructor(private readonly paths: InterruptPaths, private readonly graceMs: number) {}

  /** Interrupt cell `id` both ways. */
  send(id: number): void {
    this.paths.ipc({ type: 'interrupt', seq: ++this.sent });
    this.paths.channel({ type: 'interrupt', id });
  }

  /**
   * Arm cell `id`'s time limit: after `timeoutMs`, `onTimeout()`, then interrupt it (again every
   * `retryMs`), and `kill()` after `graceMs` more. Returns the disarm (call it when the cell ended).
   */
  watch(id: number, timing: { timeoutMs: number; retryMs: number; graceMs: number }, onTimeout: () => void, kill: () => void): () => void {
    const timers: NodeJS.Timeout[] = [];
    timers.push(setTimeout(() => {
      onTimeout();
      this.send(id);
      timers.push(setInterval(() => this.send(id), timing.retryMs));
      timers.push(setTimeout(kill, timing.graceMs));
    }, Math.max(1, timing.timeoutMs)));
    return () => {
      for (const t of timers) clearTimeout(t);
    };
  }

  /** The main thread set the byte for IPC interrupt `seq` (untrusted: a forged ack only harms the sandbox's next cell). */
  acknowledged(seq: unknown): void {
    this.acked = Math.max(this.acked, Number(seq) || 0);
    if (this.acked >= this.sent) this.release?.();
  }

  /** Stop waiting (the session is closed or its process is gone). */
  abandon(): void {
    this.release?.();
  }

  /** Resolves once every IPC interrupt sent so far was acknowledged; stops the process after the grace. */
  settled(): Promise<void> {
    if (this.acked >= this.sent) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.release = null;
        this.paths.stop(`the sandbox did not confirm an interrupt within ${seconds(this.graceMs)} and was stopped`);
        resolve();
      }, this.graceMs);
      this.release = () => {
        clearTimeout(timer);
        this.release = null;
        resolve();
      };
    });
  }
}
