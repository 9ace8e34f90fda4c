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
import { ConfigError, SandboxSessionLostError } from '../../core/errors';
import type {
  DocumentStore,
  LanguageModel,
  LoadedContext,
  Logger,
  Sandbox,
  SandboxSession,
  SandboxStartOptions,
} from '../../core/ports';
import { CONTEXT_PREVIEW_CHARS, silentLogger } from '../../core/ports';
import { describeContext, type ContextPart } from '../../core/context-layout';
import { BootSnapshot, stopSnapshotMakers } from './boot-snapshot';
import { fifoPairs, FIFO_WAIT_MS } from './fifo-pairs';
import { PyodideSession, type SessionSettings, type WorkerLoaded } from './pyodide-session';
import { DEFAULT_MEMORY_LIMIT_MB, MIN_MEMORY_LIMIT_MB } from './sandbox-launch';
import { tablePricer, type SubCallPricer } from './sub-call-ledger';
import { WarmPool } from './warm-pool';
import { documentFiles, HEAD_BYTES, readDocumentBytes, readHead, uniqueNames } from './session-documents';

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
  /**
   * With `warmSessions`: a session whose run ended is reset in place (pyodide_reset.py) and serves a later
   * start, instead of a fresh process per run; one the reset cannot vouch for (introspection that could reach
   * past it, a heap over {@link REUSE_MAX_HEAP_MB}) is stopped. Default false.
   */
  reuseSessions?: boolean;
}

/** A reused session's interpreter heap may be at most this large after its reset (else a fresh process gives the memory back). */
export const REUSE_MAX_HEAP_MB = 512;
/** How long a reset between runs may take before the session is stopped instead. */
const RESET_TIMEOUT_MS = 10_000;

/** Timings of the last `start()`, for benchmarks and logs. */
export interface StartTimings {
  /** start() called to session ready (`start()` itself resolves before: see `PyodideSession.ready`). */
  totalMs: number;
  /** Pyodide boot inside the worker (prelude and bridge included). */
  bootMs: number;
  /** First document received by the worker to documents installed (decode + `_rlm_set_documents`). */
  loadMs: number;
  /** Host-side reading and checking of the documents (overlaps the boot). */
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
  private closing = false;

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
    void fifoPairs().prefetch(); // made while the caller prepares its start (fifo-pairs.ts)
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
      ...(this.reuse ? { reusable: true } : {}),
    };
    const onClose = (closed: PyodideSession) => {
      if (registry.get(closed.sessionId) === closed) registry.delete(closed.sessionId);
    };
    const spare = this.pool?.take(settings) ?? (await this.pool?.recycled(settings));
    // a session of its own gets a FIFO channel when the pair being made is ready soon (fifo-pairs.ts)
    if (!spare) await fifoPairs().waitReady(FIFO_WAIT_MS);
    spare?.claim(sessionId, onClose);
    // A new process may read the document files itself (a spare was started before they were known).
    const files = spare ? undefined : documentFiles(this.options.documents, options.documents);
    const session = spare ?? new PyodideSession(sessionId, settings, onClose, files?.flatMap((f) => f.readable));
    const names = uniqueNames(options.documents);
    const parts: ContextPart[] = [];
    let readMs = 0;
    let loaded: Promise<WorkerLoaded>;
    // Documents go to the process one after the other, in the background: start() returns once all were read.
    let sent: Promise<void> = Promise.resolve();
    try {
      loaded = session.waitLoaded(this.options.startTimeoutMs ?? 180_000);
      loaded.catch(() => undefined); // observed below and by the session's cells
      // Pyodide boots in the sandbox process while the host reads the documents (once, as bytes).
      for (const [i, ref] of options.documents.entries()) {
        const r0 = Date.now();
        const file = files?.[i];
        if (file) {
          // The host checked this file as text when it resolved it (`ref.chars`); the worker checks what it reads.
          const head = await readHead(ref, file.path);
          readMs += Date.now() - r0;
          if (!session.live) break;
          parts.push({ name: names[i]!, chars: ref.chars, head });
          sent = sent.then(() => session.sendDocumentFile(names[i]!, file.path, ref.chars));
          continue;
        }
        const { bytes, chars } = await readDocumentBytes(this.options.documents, ref);
        readMs += Date.now() - r0;
        if (!session.live) break;
        parts.push({ name: names[i]!, chars, head: new TextDecoder().decode(bytes.subarray(0, HEAD_BYTES)) });
        sent = sent.then(() => session.sendDocument(names[i]!, bytes));
      }
      void sent.then(() => session.documentsDone());
      if (!session.live) await loaded; // the process died while the documents were read: its error
    } catch (err) {
      this.pool?.refill(settings);
      await session.close();
      throw err;
    }
    registry.set(sessionId, session);
    this.started.add(sessionId);
    // The context is described from the bytes read, so the first root call does not wait for the boot;
    // cells wait for it (`PyodideSession.execute` runs after the documents are installed).
    const layout = describeContext(parts, CONTEXT_PREVIEW_CHARS);
    loaded.then((worker) => {
      // Spares boot once this session has (not alongside it: at the start of a batch they would slow the first items).
      // Reused sessions need none: a spare replaces only a session that could not be reset (see stop()).
      if (!this.reuse) this.pool?.refill(settings);
      const refused = session.booted?.snapshotError;
      if (refused) void this.snapshot?.discard(refused);
      this.lastStart = { totalMs: Date.now() - t0, bootMs: worker.bootMs, loadMs: worker.loadMs, readMs, fromSnapshot: worker.fromSnapshot, warm: spare !== undefined };
      this.logger.info('pyodide session started', { sessionId, runId: options.runId, ...this.lastStart, chars: worker.totalChars });
      if (worker.totalChars !== layout.totalChars || worker.preview !== layout.preview) {
        this.logger.warn('the sandbox built a context other than the one described', { sessionId, described: layout.totalChars, built: worker.totalChars });
      }
    }, (err: Error) => {
      this.pool?.refill(settings);
      this.logger.warn('pyodide session failed to start', { sessionId, runId: options.runId, error: err.message });
    });
    return {
      session,
      loaded: {
        documents: options.documents.map((ref, i) => ({ ...ref, name: names[i]!, chars: parts[i]!.chars })),
        totalChars: layout.totalChars,
        preview: layout.preview,
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
    if (session && this.reuse && this.pool && !this.closing) {
      // The reset runs while the caller goes on (a run's finalize writes its artifacts meanwhile); the next
      // start waits for it (`WarmPool.recycled`) rather than boot a process.
      const pool = this.pool;
      pool.recycling(session.recycle(REUSE_MAX_HEAP_MB * 2 ** 20, RESET_TIMEOUT_MS).then(async (why) => {
        if (why === null) {
          session.claim(`pyodide-spare-${randomUUID().slice(0, 8)}`, () => {});
          pool.giveBack(session);
          return;
        }
        this.logger.info('pyodide session not reused', { sessionId, why });
        await session.close();
        pool.refill(session.settings);
      }));
      return;
    }
    await session?.close();
  }

  /** Whether ended sessions are reset and reused (`reuseSessions` with a warm pool). */
  private get reuse(): boolean {
    return this.options.reuseSessions === true && this.pool !== null;
  }

  /** Stop every session this instance started and its warm spares (CLI shutdown). Idempotent. */
  async closeAll(): Promise<void> {
    this.closing = true; // sessions are stopped, not reset for a run that will not come
    const ids = [...this.started];
    if (this.pool) pools.delete(this.pool);
    await Promise.all([...ids.map((id) => this.stop(id)), this.pool?.close()]);
  }
}
