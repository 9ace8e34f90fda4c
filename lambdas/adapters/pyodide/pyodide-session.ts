/**
 * One Pyodide sandbox session: its own OS process (see `sandbox-launch.ts`) running CPython (WASM) in
 * a worker thread, with the prelude, the documents and the model's variables. Created by
 * `PyodideSandbox` (see `pyodide-sandbox.ts`). Sub-calls are made, capped and counted here, on the
 * host side of the bridge (`sub-call-ledger.ts`); FINAL arrives out of band.
 */
import type { ChildProcess } from 'node:child_process';
import { SandboxError, SandboxSessionLostError } from '../../core/errors';
import type { CellExecOptions, SandboxSession } from '../../core/ports';
import type { CellResult } from '../../core/types';
import { describeSandboxFailure, outcomeOfResult, toCellResult, type ExecOutcome, type PendingCell } from './cell-outcome';
import { CellInterrupts } from './cell-interrupts';
import { HostLink } from './host-link';
import { ResetExchange, refusalOf } from './session-reset';
import { SessionStartup, type BootInfo } from './session-startup';
import { ProcessIpc } from './process-ipc';
import { holdProcess, spawnSandboxProcess } from './sandbox-launch';
import { lowerSandboxPriority } from './process-priority';
import { cellLedgerFor, workerInit, workerSettingsKey, type SessionSettings, type WorkerLoaded } from './session-init';
import { answerSubRequest, Limiter } from './sub-calls';
import type { HostToWorker, SandboxToHost } from './worker-protocol';

export type { SessionSettings, WorkerLoaded } from './session-init';
export { DOC_PART_BYTES } from './process-ipc';

const STDERR_KEEP = 4000;

/** A live Pyodide session. Failures of model code come back as `CellResult` data. */
export class PyodideSession implements SandboxSession {
  private readonly child: ChildProcess;
  private readonly channel: HostLink;
  private readonly ipc: ProcessIpc;
  private readonly limiter: Limiter;
  private readonly exited: Promise<void>;
  private stderrTail = '';
  private lostReason: string | null = null;
  private closed = false;
  private execSeq = 0;
  private pending: PendingCell | null = null;
  private readonly startup = new SessionStartup();
  private id: string;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly interrupts: CellInterrupts;
  private readonly resets = new ResetExchange();
  private runsServed = 0;

  /**
   * `onClose` runs once when the session is closed (the sandbox drops it from its registry); `documentFiles`
   * are files the process may read, for {@link sendDocumentFile}.
   */
  constructor(
    sessionId: string,
    readonly settings: SessionSettings,
    private onClose: (s: PyodideSession) => void = () => {},
    documentFiles: string[] = [],
  ) {
    this.id = sessionId;
    this.limiter = new Limiter(settings.subConcurrency);
    this.channel = HostLink.forSession((msg) => this.onMessage(msg as SandboxToHost), (reason) => {
      this.fail(reason);
      this.child.kill('SIGKILL');
    });
    const init = { ...workerInit(settings), channel: this.channel.workerFds };
    this.child = spawnSandboxProcess([...(settings.snapshotPath ? [settings.snapshotPath] : []), ...documentFiles], this.channel.stdio);
    this.channel.attach(this.child);
    this.ipc = new ProcessIpc(this.child, (reason) => this.onGone(reason));
    this.interrupts = new CellInterrupts({
      ipc: (msg) => this.ipc.send(msg),
      channel: (msg) => this.tell(msg),
      stop: (reason) => {
        this.lostReason ??= reason;
        this.child.kill('SIGKILL');
      },
    }, settings.hardKillGraceMs);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-STDERR_KEEP)));
    this.child.on('message', (msg: SandboxToHost) => this.onMessage(msg));
    this.child.on('error', (err) => this.onGone(`sandbox process error: ${err.message}`));
    this.child.on('exit', (code, signal) => {
      this.onGone(`sandbox process exited (${signal ?? `code ${code}`})`);
      this.channel.close();
    });
    this.ipc.send({ type: 'init', init });
    this.hold(false); // idle until a start or a cell (a warm spare must not keep the CLI alive)
  }

  /** The session's ID (given when a warm spare is claimed by a run, see {@link claim}). */
  get sessionId(): string {
    return this.id;
  }

  /** A warm spare becomes a run's session: its ID and what runs when it is closed. */
  claim(sessionId: string, onClose: (s: PyodideSession) => void): void {
    this.id = sessionId;
    this.onClose = onClose;
  }

  /** The settings a spare must match to serve a start (see `warm-pool.ts`). */
  get settingsKey(): string {
    return workerSettingsKey(this.settings);
  }

  /** Runs this session's process served before the current one (0 for a new process). */
  get reuses(): number {
    return this.runsServed;
  }

  /**
   * After a run of a reusable session: reset its interpreter (pyodide_reset.py) so it can serve the next run
   * as a spare ({@link claim}). Resolves with null when it was reset, else with why not (it was not reusable,
   * is gone, the code used introspection that could reach past the reset, the heap grew past `maxHeapBytes`,
   * no answer within `timeoutMs`); the caller then closes it.
   */
  async recycle(maxHeapBytes: number, timeoutMs: number): Promise<string | null> {
    if (!this.settings.reusable) return 'the session is not reusable';
    await this.queue.catch(() => undefined);
    await this.interrupts.settled();
    if (!this.live || this.pending) return this.lost ?? 'a cell is still running';
    this.hold(true);
    const done = await this.resets.request(() => this.tell({ type: 'reset' }), timeoutMs);
    this.hold(false);
    const refused = this.lost ?? refusalOf(done, timeoutMs, maxHeapBytes);
    if (refused) return refused;
    this.stderrTail = '';
    this.runsServed++;
    return null;
  }

  /** How the interpreter booted (null until it did): ms, from the snapshot or cold, why a snapshot was refused. */
  get booted(): BootInfo | null {
    return this.startup.boot;
  }

  /** False once the session was closed or its process is gone. */
  get live(): boolean {
    return !this.closed && this.lostReason === null;
  }

  /** Why the session is unusable, or null. */
  get lost(): string | null {
    return this.closed ? 'session was stopped' : this.lostReason;
  }

  /** OS process ID of the sandbox (tests check it is gone after close). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Send one document (UTF-8 bytes) in slices (`process-ipc.ts`); resolves early when the process is gone. */
  sendDocument(name: string, bytes: Uint8Array): Promise<void> {
    return this.ipc.sendDocument(name, bytes);
  }

  /** Have the worker read a document from a file given to the constructor (`chars`: as the host counted them). */
  sendDocumentFile(name: string, file: string, chars: number): void {
    this.ipc.send({ type: 'doc-file', name, path: file, chars });
  }

  /**
   * Resolves when the worker installed the documents; rejects with `DocumentError`/`SandboxError`. Cells
   * wait for it: `execute` runs after it and rejects with its error (the session is then unusable).
   */
  waitLoaded(timeoutMs: number): Promise<WorkerLoaded> {
    this.hold(true);
    const loaded = this.startup.wait(timeoutMs).finally(() => this.hold(false));
    this.queue = loaded.then(() => undefined, (err: Error) => {
      this.lostReason ??= `the sandbox did not start: ${err.message}`;
      throw err;
    });
    this.queue.catch(() => undefined); // a session no cell ever uses must not leave an unhandled rejection
    return loaded;
  }

  /** Resolves when the session is ready for cells (rejects like `waitLoaded`). */
  ready(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /** Tell the worker all documents were sent. */
  documentsDone(): void {
    this.ipc.send({ type: 'docs-done' });
  }

  /** Keep the CLI's event loop alive for this child only while a start or a cell is in progress. */
  private hold(on: boolean): void {
    if (this.closed || this.lostReason) return;
    holdProcess(this.child, on);
    this.channel.hold(on);
  }

  /** Write a frame on the direct channel to the worker. */
  private tell(msg: HostToWorker): void {
    this.channel.send(msg);
  }

  async execute(code: string, options: CellExecOptions): Promise<CellResult> {
    const run = this.queue.then(() => this.runCell(code, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runCell(code: string, options: CellExecOptions): Promise<CellResult> {
    await this.interrupts.settled(); // no interrupt of an earlier cell may land in this one
    if (!this.live) throw new SandboxSessionLostError(`sandbox session ${this.sessionId} is gone: ${this.lost}`);
    const { timeoutMs } = options;
    const id = ++this.execSeq;
    const t0 = Date.now();
    const ledger = cellLedgerFor(this.settings, this.limiter, options);
    const cell: PendingCell = { id, resolve: () => {}, ledger };
    this.hold(true);
    let disarm = () => {};
    const outcome = await new Promise<ExecOutcome>((resolve) => {
      cell.resolve = resolve;
      this.pending = cell;
      this.tell({ type: 'exec', id, code, limitS: timeoutMs / 1000 });
      const timing = { timeoutMs, retryMs: this.settings.interruptRetryMs, graceMs: this.settings.hardKillGraceMs };
      disarm = this.interrupts.watch(id, timing, () => ledger.abort(), () => this.kill(id));
    });
    disarm();
    if (this.pending === cell) this.pending = null;
    this.hold(false);
    return toCellResult(outcome, {
      durationMs: Date.now() - t0, timeoutMs, hardKillGraceMs: this.settings.hardKillGraceMs, final: cell.final, totals: ledger.finish(),
    });
  }

  private kill(id: number): void {
    if (this.pending?.id !== id) return;
    this.lostReason = 'a timed-out cell ignored the interrupt and the sandbox process was killed';
    this.pending.resolve({ kind: 'killed' });
    this.pending = null;
    this.child.kill('SIGKILL');
  }

  private onMessage(msg: SandboxToHost): void {
    if (msg?.type === 'booted') lowerSandboxPriority(this.child.pid); // every thread is there by now
    if (!msg || typeof msg !== 'object' || this.startup.handle(msg)) return;
    switch (msg.type) {
      case 'fatal':
        this.fail(this.describeFatal(String(msg.message)));
        return;
      case 'interrupt-ack':
        this.interrupts.acknowledged(msg.seq);
        return;
      case 'reset-done':
        this.resets.answer(msg);
        return;
      case 'sub':
        void this.answerSub(msg.id, msg.payload);
        return;
      case 'final':
        if (this.pending && this.pending.id === msg.id) {
          this.pending.final = { value: String(msg.value), ...(typeof msg.variable === 'string' ? { variable: msg.variable } : {}) };
        }
        return;
      case 'result': {
        const cell = this.pending;
        if (cell?.id !== msg.id) return;
        if (msg.lost) this.lostReason = `the Python interpreter failed: ${msg.error}`;
        cell.resolve(outcomeOfResult(msg));
        return;
      }
    }
  }

  private describeFatal(message: string): string {
    return describeSandboxFailure(message, this.stderrTail, this.settings.memoryLimitMb);
  }

  private fail(reason: string): void {
    this.lostReason ??= reason;
    this.startup.fail(new SandboxError(reason));
    this.pending?.resolve({ kind: 'died', message: reason });
  }

  private async answerSub(id: number, payload: string): Promise<void> {
    const results = await answerSubRequest(this.pending?.ledger, payload);
    if (this.live) this.tell({ type: 'sub-reply', id, payload: JSON.stringify(results) });
  }

  private onGone(reason: string): void {
    if (this.closed) return;
    const detail = this.describeFatal(reason);
    this.lostReason ??= detail;
    const startupError = new SandboxError(`Pyodide sandbox failed to start: ${detail}`);
    this.endWaits(startupError, 'the sandbox session was lost', `the sandbox process stopped (${detail})`);
  }

  /** Release whatever waits on the session (start-up, interrupts, reset, the running cell) once it is over. */
  private endWaits(startupError: Error, ledgerReason: string, cellMessage: string): void {
    this.interrupts.abandon();
    this.resets.abandon();
    this.startup.fail(startupError);
    this.pending?.ledger.abort(ledgerReason);
    this.pending?.resolve({ kind: 'died', message: cellMessage });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    const stopped = 'the sandbox session was stopped';
    this.endWaits(new SandboxSessionLostError(`sandbox session ${this.sessionId} was stopped`), stopped, stopped);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // Wait (bounded) for the process to be gone, so its memory is back when close() resolves.
    this.child.ref();
    this.child.kill('SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
  }
}
