/**
 * Messages between the host (`pyodide-sandbox.ts`) and the Pyodide worker (`sandbox-worker.mjs`).
 *
 * The worker is plain JavaScript (jest's TypeScript transform does not apply inside Worker threads), so
 * these types document the protocol for the host side; the worker follows them by convention.
 *
 * Synchronous sub-calls: Python's `llm_query` blocks the worker thread, so the worker cannot receive
 * ordinary messages while it waits. It posts a `sub` request on `parentPort`, then waits on
 * `replySignal` (`Atomics.wait` in short slices, checking the interrupt buffer between slices) and reads
 * the reply with `receiveMessageOnPort(replyPort)`. The host posts the reply on the port first and then
 * increments `replySignal[0]` and notifies, so a changed counter always means a reply is queued.
 */
import type { MessagePort } from 'node:worker_threads';

/** Value written to the interrupt buffer to raise `KeyboardInterrupt` in Python (SIGINT). */
export const SIGINT = 2;

/** Python snippets the worker runs during boot, in this order. */
export interface WorkerPythonSources {
  /** `PYTHON_PRELUDE` from core. */
  prelude: string;
  /** Defines the private helpers (backend factory, document decoder, setup of `documents`). Returns them. */
  helpers: string;
  /** Installs the import blocker and scrubs JS references; evaluates to a function to call once. */
  lockdown: string;
}

/** `workerData` of a sandbox worker. */
export interface WorkerInit {
  python: WorkerPythonSources;
  subModelId: string;
  subConcurrency: number;
  maxCaptureChars: number;
  /** Characters of `context` returned as the preview. */
  previewChars: number;
  /** Top-level module names the lockdown blocks. */
  blockedModules: string[];
  /** Int32Array(1) over a SharedArrayBuffer: incremented by the host after each sub-call reply. */
  replySignal: SharedArrayBuffer;
  /** Uint8Array(1) over a SharedArrayBuffer, given to `pyodide.setInterruptBuffer`. */
  interrupt: SharedArrayBuffer;
  /** Where the host posts sub-call replies (transferred). */
  replyPort: MessagePort;
}

/** Host -> worker. */
export type HostToWorker =
  /** One document as UTF-8 bytes in a transferred buffer. */
  | { type: 'doc'; name: string; bytes: Uint8Array }
  /** All documents sent: install `documents`/`context`, lock down, report `loaded`. */
  | { type: 'docs-done' }
  /** Run Python source (a `cellInvocation`) that evaluates to the JSON cell report. */
  | { type: 'exec'; id: number; source: string };

/** Per-document result of loading. */
export interface LoadedDoc {
  name: string;
  chars: number;
}

/** Worker -> host. */
export type WorkerToHost =
  | { type: 'booted'; ms: number }
  | { type: 'loaded'; docs: LoadedDoc[]; totalChars: number; preview: string; loadMs: number }
  | { type: 'doc-error'; name: string; message: string }
  | { type: 'fatal'; message: string }
  /** A batch of sub-LLM prompts; `payload` is JSON `{prompts: string[], model: string}`. */
  | { type: 'sub'; id: number; payload: string }
  /**
   * The end of a cell: `report` is the prelude's JSON; `interrupted` when the interrupt escaped the
   * prelude (report lost, session still fine); `error` when the runner itself failed (`lost` when the
   * interpreter is unusable afterwards).
   */
  | { type: 'result'; id: number; report?: string; interrupted?: boolean; error?: string; lost?: boolean };

/** Host -> worker on `replyPort`: `payload` is the JSON list of per-prompt results. */
export interface SubReply {
  id: number;
  payload: string;
}
