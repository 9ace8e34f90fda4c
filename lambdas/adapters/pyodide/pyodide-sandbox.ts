/**
 * The local sandbox: CPython compiled to WebAssembly (Pyodide) in a `worker_threads` Worker, one worker
 * per session. Implements the core `Sandbox` port.
 *
 * Isolation, honestly: this is a convenience sandbox for running the pipeline on one machine, not a
 * hardened security boundary (on AWS, the AgentCore Code Interpreter is the boundary). What it does:
 * the worker starts with an empty environment; Pyodide sees only its in-memory file system (no NODEFS
 * mount, so no host files); its sockets are disabled (no network); `js`, `pyodide_js`, `pyodide.*`
 * (including `pyodide.http`/`pyfetch` and `run_js`) and `micropip` cannot be imported by model code and
 * JS references are scrubbed from loaded modules; the host-call bridge is a prototype-less function
 * that only takes and returns strings; `time.sleep` and `input()` cannot hang the worker. Determined
 * Python introspection still gets out: e.g. `gc.get_objects()` finds the unloaded `pyodide.ffi` module,
 * `to_js({})` yields a JS object, `.constructor.constructor` is `Function`, and that reaches the
 * worker's Node `process` (the environment is empty, but Node's built-in modules are not). Treat it
 * like running the model's code on your own machine; use AgentCore when that is not acceptable.
 */
import { randomUUID } from 'node:crypto';
import { DocumentError, RlmError, SandboxSessionLostError } from '../../core/errors';
import type {
  DocumentStore,
  LanguageModel,
  LoadedContext,
  Logger,
  Sandbox,
  SandboxSession,
  SandboxStartOptions,
} from '../../core/ports';
import { silentLogger } from '../../core/ports';
import type { DocumentRef } from '../../core/types';
import { PyodideSession, type WorkerLoaded } from './pyodide-session';

/** Constructor options of `PyodideSandbox`. */
export interface PyodideSandboxOptions {
  /** Reads document text host-side (local files, S3...). */
  documents: DocumentStore;
  /** Answers `llm_query` / `llm_query_batched` from the sandbox. */
  subModel: LanguageModel;
  logger?: Logger;
  /** How long a timed-out cell may ignore the interrupt before its worker is terminated. Default 5000. */
  hardKillGraceMs?: number;
  /** How often the interrupt is re-sent while a timed-out cell keeps running. Default 1000. */
  interruptRetryMs?: number;
  /** Limit for starting Pyodide and loading the documents. Default 180000. */
  startTimeoutMs?: number;
}

/** Timings of the last `start()`, for benchmarks and logs. */
export interface StartTimings {
  /** start() called to session ready. */
  totalMs: number;
  /** Pyodide boot inside the worker (prelude and bridge included). */
  bootMs: number;
  /** First document received by the worker to documents installed (decode + `_rlm_set_documents`). */
  loadMs: number;
  /** Host-side reading and UTF-8 encoding of the documents (overlaps the boot). */
  readMs: number;
}

/** Live sessions of this process, by ID: `resume` re-attaches to them on each turn. */
const registry = new Map<string, PyodideSession>();

/** Stop every live Pyodide session of this process (CLI shutdown, tests). */
export async function stopAllPyodideSessions(): Promise<void> {
  const all = [...registry.values()];
  registry.clear();
  await Promise.all(all.map((s) => s.close()));
}

/** Number of sessions in the registry (live or lost but not yet stopped). */
export function pyodideSessionCount(): number {
  return registry.size;
}

/** Make document names unique keys of `documents` (a repeated name gets ` (2)`, ` (3)`...). */
function uniqueNames(refs: DocumentRef[]): string[] {
  const seen = new Map<string, number>();
  return refs.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r.name : `${r.name} (${n})`;
  });
}

/** Read one document as text and encode it as UTF-8 in a buffer of its own (transferable). */
async function readDocumentBytes(store: DocumentStore, ref: DocumentRef): Promise<Uint8Array> {
  let text: string;
  try {
    text = await store.readText(ref.uri);
  } catch (err) {
    if (err instanceof RlmError) throw err;
    throw new DocumentError(`document "${ref.name}" (${ref.uri}) could not be read as UTF-8 text: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new DocumentError(`document "${ref.name}" (${ref.uri}) is not valid UTF-8 text (it contains unpaired surrogates)`);
  }
  // TextEncoder returns a fresh ArrayBuffer (never Node's shared Buffer pool), so it can be transferred.
  return new TextEncoder().encode(text);
}

/** `Sandbox` backed by Pyodide worker threads. */
export class PyodideSandbox implements Sandbox {
  readonly description = 'pyodide (local worker thread)';
  /** Timings of the most recent successful start. */
  lastStart: StartTimings | null = null;
  private readonly logger: Logger;
  private readonly started = new Set<string>();

  constructor(private readonly options: PyodideSandboxOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  async start(options: SandboxStartOptions): Promise<{ session: SandboxSession; loaded: LoadedContext }> {
    const t0 = Date.now();
    const sessionId = `pyodide-${options.runId}-${randomUUID().slice(0, 8)}`;
    const session = new PyodideSession(sessionId, {
      subModel: this.options.subModel,
      subModelId: options.subModelId,
      subConcurrency: options.subConcurrency,
      maxCaptureChars: options.maxCaptureChars,
      hardKillGraceMs: this.options.hardKillGraceMs ?? 5_000,
      interruptRetryMs: this.options.interruptRetryMs ?? 1_000,
    }, (closed) => {
      if (registry.get(closed.sessionId) === closed) registry.delete(closed.sessionId);
    });
    const names = uniqueNames(options.documents);
    let worker: WorkerLoaded;
    let readMs = 0;
    try {
      const loaded = session.waitLoaded(this.options.startTimeoutMs ?? 180_000);
      loaded.catch(() => undefined); // observed below; avoids an unhandled rejection while reading
      // Pyodide boots in the worker while the host reads and encodes the documents.
      for (const [i, ref] of options.documents.entries()) {
        const r0 = Date.now();
        const bytes = await readDocumentBytes(this.options.documents, ref);
        readMs += Date.now() - r0;
        if (!session.live) break;
        session.sendDocument(names[i]!, bytes);
      }
      session.documentsDone();
      worker = await loaded;
    } catch (err) {
      await session.close();
      throw err;
    }
    registry.set(sessionId, session);
    this.started.add(sessionId);
    this.lastStart = { totalMs: Date.now() - t0, bootMs: worker.bootMs, loadMs: worker.loadMs, readMs };
    this.logger.info('pyodide session started', { sessionId, runId: options.runId, ...this.lastStart, chars: worker.totalChars });
    return {
      session,
      loaded: {
        documents: options.documents.map((ref, i) => ({ ...ref, name: worker.docs[i]?.name ?? names[i]!, chars: worker.docs[i]?.chars ?? 0 })),
        totalChars: worker.totalChars,
        preview: worker.preview,
      },
    };
  }

  /** Re-attach to a live session of this process (the options are not needed: the session keeps its own). */
  async resume(sessionId: string, _options?: SandboxStartOptions): Promise<SandboxSession> {
    const session = registry.get(sessionId);
    if (!session) throw new SandboxSessionLostError(`sandbox session ${sessionId} is not running in this process`);
    if (!session.live) {
      registry.delete(sessionId);
      const reason = session.lost;
      await session.close();
      throw new SandboxSessionLostError(`sandbox session ${sessionId} is gone: ${reason}`);
    }
    return session;
  }

  async stop(sessionId: string): Promise<void> {
    const session = registry.get(sessionId);
    registry.delete(sessionId);
    this.started.delete(sessionId);
    await session?.close();
  }

  /** Stop every session this instance started (CLI shutdown). Idempotent. */
  async closeAll(): Promise<void> {
    const ids = [...this.started];
    await Promise.all(ids.map((id) => this.stop(id)));
  }
}
