/**
 * Waiting for a Pyodide session to be ready (split from `pyodide-session.ts`): the worker reports `booted`
 * (how the interpreter came up), then `loaded` (the documents are installed) or `doc-error`; the session's
 * loss rejects the wait. A reused session waits again for its next run's documents (its boot stays).
 */
import { DocumentError, SandboxError } from '../../core/errors';
import { seconds } from './cell-outcome';
import type { WorkerLoaded } from './session-init';
import type { SandboxToHost } from './worker-protocol';

/** How the interpreter booted: ms, from the snapshot or cold, why a snapshot was refused. */
export interface BootInfo {
  ms: number;
  fromSnapshot: boolean;
  snapshotError?: string;
}

/** One session's start-up reports and the wait for its documents. */
export class SessionStartup {
  /** Null until the worker booted. */
  boot: BootInfo | null = null;
  private waiter: { resolve: (l: WorkerLoaded) => void; reject: (e: Error) => void } | null = null;

  /** Resolves with the `loaded` report; rejects after `timeoutMs`, on `doc-error` or on {@link fail}. */
  wait(timeoutMs: number): Promise<WorkerLoaded> {
    const p = new Promise<WorkerLoaded>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SandboxError(`Pyodide sandbox did not start within ${seconds(timeoutMs)}`)), timeoutMs);
      this.waiter = {
        resolve: (l) => (clearTimeout(timer), resolve(l)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
    return p.finally(() => {
      this.waiter = null;
    });
  }

  /** Take a start-up report; false when `msg` is not one. */
  handle(msg: SandboxToHost): boolean {
    switch (msg.type) {
      case 'booted':
        this.boot = { ms: Number(msg.ms) || 0, fromSnapshot: msg.fromSnapshot === true, ...(typeof msg.snapshotError === 'string' ? { snapshotError: msg.snapshotError } : {}) };
        return true;
      case 'loaded':
        this.waiter?.resolve({ docs: msg.docs, totalChars: msg.totalChars, preview: msg.preview, bootMs: this.boot?.ms ?? 0, loadMs: msg.loadMs, fromSnapshot: this.boot?.fromSnapshot ?? false });
        return true;
      case 'doc-error':
        this.waiter?.reject(new DocumentError(`document "${msg.name}" ${msg.message}`));
        return true;
      default:
        return false;
    }
  }

  /** The session is gone or stopped: a pending wait rejects with `err`. */
  fail(err: Error): void {
    this.waiter?.reject(err);
  }
}
