/**
 * The local sandbox: CPython compiled to WebAssembly (Pyodide), one OS process per session. Implements
 * the core `Sandbox` port.
 *
 * The boundary (details and the hostile-code probes in docs/architecture.md, "Local threat model"):
 * each session is a `node` process under Node's permission model (reads only of Pyodide's own files,
 * no writes, no child processes, no addons), with an empty environment, code generation from strings
 * disabled, its stdout discarded and a memory cap. Inside it, CPython's `system()` and
 * `emscripten_run_script` are replaced by functions that do nothing, `require`/`fetch`/`process` and
 * the function constructors are removed after boot, Emscripten sockets are disabled, and the
 * JavaScript modules cannot be imported from Python. Sub-calls are checked against the cell's budget,
 * made and counted on the host; FINAL reaches the host out of band.
 */
import { randomUUID } from 'node:crypto';
import { ConfigError, DocumentError, RlmError, SandboxSessionLostError } from '../../core/errors';
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
import { BootSnapshot, stopSnapshotMakers } from './boot-snapshot';
import { PyodideSession, type SessionSettings, type WorkerLoaded } from './pyodide-session';
import { DEFAULT_MEMORY_LIMIT_MB, MIN_MEMORY_LIMIT_MB } from './sandbox-launch';
import { tablePricer, type SubCallPricer } from './sub-call-ledger';
import { WarmPool } from './warm-pool';

/** Constructor options of `PyodideSandbox`. */
export interface PyodideSandboxOptions {
  /** Reads document text host-side (local files, S3...). */
  documents: DocumentStore;
  /** Answers `llm_query` / `llm_query_batched` from the sandbox. */
  subModel: LanguageModel;
  logger?: Logger;
  /** Memory cap of each session's process in MiB (JS heap + CPython heap). Default 2048. */
  memoryLimitMb?: number;
  /** Prices sub-calls (USD) for the cost cap; default: the built-in price table (`core/pricing.ts`). */
  price?: SubCallPricer;
  /** How long a timed-out cell may ignore the interrupt before its process is killed. Default 5000. */
  hardKillGraceMs?: number;
  /** How often the interrupt is re-sent while a timed-out cell keeps running. Default 1000. */
  interruptRetryMs?: number;
  /** Limit for starting Pyodide and loading the documents. Default 180000. */
  startTimeoutMs?: number;
  /**
   * Folder of the boot snapshot (`boot-snapshot.ts`): made there on first use, then sessions restore
   * from it instead of booting cold. Default: none (every session boots cold).
   */
  snapshotDir?: string;
  /**
   * Sandbox processes kept booted ahead (`warm-pool.ts`), each used by one run only (batch, eval).
   * Default 0.
   */
  warmSessions?: number;
  /** Spares booted over this sandbox's life at most (a batch of N items needs N - 1). Default: no limit. */
  warmLimit?: number;
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
  /** The interpreter was restored from the boot snapshot. */
  fromSnapshot: boolean;
  /** The session was a warm spare booted ahead. */
  warm: boolean;
}


/** Live sessions of this process, by ID: `resume` re-attaches to them on each turn. */
const registry = new Map<string, PyodideSession>();
/** Warm pools of this process (their spares are stopped with the sessions). */
const pools = new Set<WarmPool>();

/** Stop every live Pyodide session, warm spare and snapshot maker of this process (CLI shutdown, tests). */
export async function stopAllPyodideSessions(): Promise<void> {
  const all = [...registry.values()];
  registry.clear();
  const spares = [...pools];
  pools.clear();
  stopSnapshotMakers();
  await Promise.all([...all.map((s) => s.close()), ...spares.map((p) => p.close())]);
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

/** `Sandbox` backed by one Pyodide process per session. */
export class PyodideSandbox implements Sandbox {
  readonly description = 'pyodide (local sandbox process)';
  /** Timings of the most recent successful start. */
  lastStart: StartTimings | null = null;
  /** The boot snapshot, when `snapshotDir` was given. */
  readonly snapshot: BootSnapshot | null;
  /** The warm spares, when `warmSessions` > 0. */
  readonly pool: WarmPool | null;
  private readonly logger: Logger;
  private readonly started = new Set<string>();

  constructor(private readonly options: PyodideSandboxOptions) {
    this.logger = options.logger ?? silentLogger;
    const limit = options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
    if (!Number.isFinite(limit) || limit < MIN_MEMORY_LIMIT_MB) {
      throw new ConfigError(`sandbox memory limit must be at least ${MIN_MEMORY_LIMIT_MB} MiB (Pyodide needs about 100 MiB to boot), got ${limit}`);
    }
    const warm = options.warmSessions ?? 0;
    if (!Number.isInteger(warm) || warm < 0 || warm > 64) throw new ConfigError(`warm sandbox sessions must be an integer from 0 to 64, got ${warm}`);
    this.snapshot = options.snapshotDir ? new BootSnapshot(options.snapshotDir, this.logger) : null;
    const spawnLimit = options.warmLimit ?? Infinity;
    this.pool = warm > 0 && spawnLimit > 0 ? new WarmPool(warm, (s) => new PyodideSession(`pyodide-spare-${randomUUID().slice(0, 8)}`, s), spawnLimit) : null;
    if (this.pool) pools.add(this.pool);
  }

  async start(options: SandboxStartOptions): Promise<{ session: SandboxSession; loaded: LoadedContext }> {
    const t0 = Date.now();
    const sessionId = `pyodide-${options.runId}-${randomUUID().slice(0, 8)}`;
    const settings: SessionSettings = {
      subModel: this.options.subModel,
      subModelId: options.subModelId,
      ...(options.allowedModels ? { allowedModels: options.allowedModels } : {}),
      ...(options.subMaxOutputTokens !== undefined ? { subMaxOutputTokens: options.subMaxOutputTokens } : {}),
      subConcurrency: options.subConcurrency,
      maxCaptureChars: options.maxCaptureChars,
      hardKillGraceMs: this.options.hardKillGraceMs ?? 5_000,
      interruptRetryMs: this.options.interruptRetryMs ?? 1_000,
      memoryLimitMb: this.options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB,
      // built-in table by default; a model without a price costs nothing here (the run reports it as unpriced)
      price: this.options.price ?? tablePricer(),
      ...(this.snapshot?.available() ? { snapshotPath: this.snapshot.file } : {}),
    };
    const onClose = (closed: PyodideSession) => {
      if (registry.get(closed.sessionId) === closed) registry.delete(closed.sessionId);
    };
    const spare = this.pool?.take(settings);
    spare?.claim(sessionId, onClose);
    const session = spare ?? new PyodideSession(sessionId, settings, onClose);
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
      this.pool?.refill(settings);
      await session.close();
      throw err;
    }
    // Spares boot once this session has (not alongside it: at the start of a batch they would slow the first items).
    this.pool?.refill(settings);
    registry.set(sessionId, session);
    this.started.add(sessionId);
    const refused = session.booted?.snapshotError;
    if (refused) void this.snapshot?.discard(refused);
    this.lastStart = { totalMs: Date.now() - t0, bootMs: worker.bootMs, loadMs: worker.loadMs, readMs, fromSnapshot: worker.fromSnapshot, warm: spare !== undefined };
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

  /** Stop every session this instance started and its warm spares (CLI shutdown). Idempotent. */
  async closeAll(): Promise<void> {
    const ids = [...this.started];
    if (this.pool) pools.delete(this.pool);
    await Promise.all([...ids.map((id) => this.stop(id)), this.pool?.close()]);
  }
}
