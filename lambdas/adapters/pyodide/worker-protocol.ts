/**
 * Messages between the host (`pyodide-session.ts`), the sandbox process's main thread
 * (`sandbox-process.mjs`) and the Pyodide worker inside it (`sandbox-worker.mjs`).
 *
 * Host -> sandbox process: Node IPC (`serialization: 'advanced'`, so documents travel as bytes): the
 * settings, the documents, and `interrupt` (the process's main thread sets the interrupt byte while
 * Python runs). Host <-> worker: a direct channel (a FIFO pair as fds 3 and 4 of the process, or a socket
 * as fd 3; `host-link.ts`, `host-channel.ts`, `sandbox-channel.mjs`) that the worker reads and writes
 * synchronously: cells, sub-calls, FINAL, results.
 *
 * The scripts are plain JavaScript (jest's TypeScript transform does not apply in other processes or
 * threads), so these types document the protocol for the host side; the scripts follow them by convention.
 *
 * Synchronous sub-calls: Python's `llm_query` blocks the worker thread. It writes a `sub` frame and
 * blocks reading the channel until the `sub-reply` with its ID, or an `interrupt` frame for the running
 * cell, arrives (the host sends both an `interrupt` frame and an IPC `interrupt` when a cell times out).
 *
 * Everything the sandbox sends is untrusted: model code that got JavaScript execution in the worker
 * could post any of these. The host therefore counts sub-calls itself and takes FINAL only from `final`
 * messages tagged with the running cell.
 */

/** Value written to the interrupt buffer to raise `KeyboardInterrupt` in Python (SIGINT). */
export const SIGINT = 2;

/** Python snippets the worker runs during boot, in this order. */
export interface WorkerPythonSources {
  /** `PYTHON_PRELUDE` from core. */
  prelude: string;
  /** Defines the private helpers (backend factory, FINAL bridge, document decoder). Returns them. */
  helpers: string;
  /** Installs the import blocker and scrubs JS references; evaluates to a function to call once. */
  lockdown: string;
  /** Evaluates to `_rlm_make_reset(report_taint)` (pyodide_reset.py): `{capture, reset}` of a reusable session. */
  reset: string;
}

/** Settings of the worker, sent in the `init` message (the process adds the shared buffers and port). */
export interface WorkerInit {
  python: WorkerPythonSources;
  subModelId: string;
  subConcurrency: number;
  maxCaptureChars: number;
  /** Characters of `context` returned as the preview. */
  previewChars: number;
  /** Top-level module names the lockdown blocks. */
  blockedModules: string[];
  /** File URL of `pyodide.mjs`. */
  pyodideUrl: string;
  /** Directory of the Pyodide package (readable under the permission model). */
  pyodideDir: string;
  /** V8 old-generation limit of the worker (MiB). */
  jsHeapMb: number;
  /** Largest WebAssembly heap of CPython (bytes); growing past it is a `MemoryError`. */
  wasmHeapBytes: number;
  /** Boot from this memory snapshot (readable by the process; the prelude is in it). See boot-snapshot.ts. */
  snapshotPath?: string;
  /** Descriptors of the direct channel in the sandbox process (`host-link.ts`; absent: one socket as fd 3). */
  channel?: { read: number; write: number };
  /** Snapshot-maker process: boot cold, run the prelude, post `snapshot` over IPC and do nothing else. */
  makeSnapshot?: boolean;
  /** The session may serve several runs one after another: capture the state to reset to (pyodide_reset.py). */
  reusable?: boolean;
}

/** Host -> sandbox process main thread, over Node IPC. */
export type HostToProcess =
  /** First message: start the worker. */
  | { type: 'init'; init: WorkerInit }
  /**
   * A slice of one document's UTF-8 bytes at `offset` (`size` bytes in all; a document is sent in slices
   * so neither process holds a serialized copy of all of it). The process assembles the slices into one
   * buffer and transfers it to the worker as `{ type: 'doc', name, bytes }`.
   */
  | { type: 'doc-part'; name: string; size: number; offset: number; bytes: Uint8Array }
  /**
   * A document the process may read itself (its path is among its `--allow-fs-read` files): the worker
   * reads it into the interpreter's heap and checks it is the text of `chars` code points the host
   * checked (a leading byte-order mark dropped). Passed on to the worker as is.
   */
  | { type: 'doc-file'; name: string; path: string; chars: number }
  /** All documents sent: install `documents`/`context`, lock down, report `loaded`, then serve the channel. */
  | { type: 'docs-done' }
  /**
   * Set the interrupt byte: KeyboardInterrupt in Python code that is running (not waiting). The main
   * thread answers `interrupt-ack` with the same `seq` once the byte is set, so the host can hold the next
   * cell until no interrupt of an earlier cell is still on its way (the next cell clears the byte first).
   */
  | { type: 'interrupt'; seq: number };

/** Host -> worker, over the direct channel. */
export type HostToWorker =
  /** Run one cell; `limitS` is the limit named in a timeout message. */
  | { type: 'exec'; id: number; code: string; limitS: number }
  /** Wake a bridge call of cell `id` that waits for a reply: KeyboardInterrupt. */
  | { type: 'interrupt'; id: number }
  /** Reply to a `sub` request: `payload` is the JSON list of per-prompt results. */
  | { type: 'sub-reply'; id: number; payload: string }
  /** Between runs (reusable sessions, no cell running): reset the interpreter, answer `reset-done`, take the next run's documents. */
  | { type: 'reset' };

/** Per-document result of loading. */
export interface LoadedDoc {
  name: string;
  chars: number;
}

/** Worker -> host over the direct channel; `fatal` also from the process's main thread over IPC. */
export type SandboxToHost =
  /** Booted; `fromSnapshot` when restored from the snapshot; `snapshotError` when it was refused (cold boot). */
  | { type: 'booted'; ms: number; fromSnapshot?: boolean; snapshotError?: string }
  /** The heap after the prelude (snapshot-maker process only, over IPC). */
  | { type: 'snapshot'; bytes: Uint8Array }
  | { type: 'loaded'; docs: LoadedDoc[]; totalChars: number; preview: string; loadMs: number }
  | { type: 'doc-error'; name: string; message: string }
  | { type: 'fatal'; message: string }
  /** The process's main thread set the interrupt byte for IPC `interrupt` number `seq` (over IPC). */
  | { type: 'interrupt-ack'; seq: number }
  /** A batch of sub-LLM prompts; `payload` is JSON `{prompts: string[], model: string}`. */
  | { type: 'sub'; id: number; payload: string }
  /** FINAL / FINAL_VAR was called in cell `id`. */
  | { type: 'final'; id: number; value: string; variable?: string }
  /**
   * The end of a cell: `report` is the prelude's JSON; `interrupted` when the interrupt escaped the
   * prelude (report lost, session still fine); `error` when the runner itself failed (`lost` when the
   * interpreter is unusable afterwards).
   */
  | { type: 'result'; id: number; report?: string; interrupted?: boolean; error?: string; lost?: boolean }
  /**
   * The interpreter was reset for another run: `clean` false when something could not be put back or the
   * code used introspection that could reach past the reset (`why`); `heapBytes`: the WebAssembly heap now.
   */
  | { type: 'reset-done'; clean: boolean; why: string; ms: number; heapBytes: number };
