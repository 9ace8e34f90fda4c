/**
 * IPC messages from the host to a sandbox process's main thread (start-up, documents, interrupts), split
 * from `pyodide-session.ts`. Cells and sub-calls do not use it: they travel on the direct channel
 * (`host-link.ts`).
 */
import type { ChildProcess } from 'node:child_process';
import { describeError } from '../../core/errors';
import type { HostToProcess } from './worker-protocol';

/** Size of the slices a document is sent in (see {@link ProcessIpc.sendDocument}). */
export const DOC_PART_BYTES = 1024 * 1024;

/** The IPC side of one sandbox process; `onGone` hears that the process became unreachable. */
export class ProcessIpc {
  constructor(private readonly child: ChildProcess, private readonly onGone: (reason: string) => void) {}

  /** Send one message (dropped once the process is unreachable). */
  send(msg: HostToProcess): void {
    if (!this.child.connected) return;
    try {
      this.child.send(msg);
    } catch (err) {
      this.onGone(`sandbox process unreachable: ${describeError(err).message}`);
    }
  }

  /**
   * Send one document (UTF-8 bytes) in slices of `DOC_PART_BYTES`, each written to the process before the
   * next is serialized: neither side ever holds an IPC copy of the whole document. Resolves when every
   * slice was written, or early when the process is gone (the session reports its loss).
   */
  async sendDocument(name: string, bytes: Uint8Array): Promise<void> {
    const size = bytes.byteLength;
    for (let offset = 0; offset === 0 || offset < size; offset += DOC_PART_BYTES) {
      if (!(await this.sendWritten({ type: 'doc-part', name, size, offset, bytes: bytes.subarray(offset, offset + DOC_PART_BYTES) }))) return;
      if (size === 0) return;
    }
  }

  /** Send one message; resolves true once it was written, false if the process is unreachable. */
  private sendWritten(msg: HostToProcess): Promise<boolean> {
    if (!this.child.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      try {
        this.child.send(msg, (err) => resolve(!err));
      } catch (err) {
        this.onGone(`sandbox process unreachable: ${describeError(err).message}`);
        resolve(false);
      }
    });
  }
}
