/**
 * One Pyodide sandbox session: a worker thread running CPython (WASM) with the prelude, the documents
 * and the model's variables. Created by `PyodideSandbox` (see `pyodide-sandbox.ts`).
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import path from 'node:path';
import { emptySubStats, parseCellReport } from '../../core/cell-report';
import { DocumentError, SandboxError, SandboxSessionLostError, describeError } from '../../core/errors';
import { cellInvocation, PYTHON_PRELUDE } from '../../core/prelude.py';
import { CONTEXT_PREVIEW_CHARS, type CellExecOptions, type LanguageModel, type SandboxSession, type SubCallBudget } from '../../core/ports';
import type { CellResult } from '../../core/types';
import { Limiter, parseSubRequest, runSubBatch, type SubCallResult } from './sub-calls';
import { BLOCKED_MODULES, HELPERS_PY, LOCKDOWN_PY } from './worker-python';
import { SIGINT, type HostToWorker, type LoadedDoc, type SubReply, type WorkerInit, type WorkerToHost } from './worker-protocol';

/** Path of the worker script (plain JS next to this file, so it runs the same under jest, tsx and node). */
export const WORKER_SCRIPT = path.join(__dirname, 'sandbox-worker.mjs');

/** Settings of one session. */
export interface SessionSettings {
  subModel: LanguageModel;
  subModelId: string;
  subConcurrency: number;
  maxCaptureChars: number;
  /** How long a timed-out cell may ignore the interrupt before the worker is terminated. */
  hardKillGraceMs: number;
  /** How often the interrupt is re-sent while a timed-out cell keeps running. */
  interruptRetryMs: number;
}

/** What the worker reported after installing the documents. */
export interface WorkerLoaded {
  docs: LoadedDoc[];
  totalChars: number;
  preview: string;
  bootMs: number;
  loadMs: number;
}

type ExecOutcome =
  | { kind: 'report'; json: string }
  | { kind: 'interrupted' }
  | { kind: 'error'; message: string; lost: boolean }
  | { kind: 'killed' }
  | { kind: 'died'; message: string };

const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;

/** A live Pyodide session. Failures of model code come back as `CellResult` data. */
export class PyodideSession implements SandboxSession {
  private readonly worker: Worker;
  private readonly replyPort: MessagePort;
  private readonly replySignal = new Int32Array(new SharedArrayBuffer(4));
  private readonly interrupt = new Uint8Array(new SharedArrayBuffer(1));
  private readonly limiter: Limiter;
  private lostReason: string | null = null;
  private closed = false;
  private execSeq = 0;
  private pendingExec: { id: number; resolve: (o: ExecOutcome) => void } | null = null;
  private loadWaiter: { resolve: (l: WorkerLoaded) => void; reject: (e: Error) => void } | null = null;
  private bootMs = 0;
  private queue: Promise<unknown> = Promise.resolve();

  /** `onClose` runs once when the session is closed (the sandbox drops it from its registry). */
  constructor(
    readonly sessionId: string,
    private readonly settings: SessionSettings,
    private readonly onClose: (s: PyodideSession) => void = () => {},
  ) {
    this.limiter = new Limiter(settings.subConcurrency);
    const { port1, port2 } = new MessageChannel();
    this.replyPort = port1;
    const init: WorkerInit = {
      python: { prelude: PYTHON_PRELUDE, helpers: HELPERS_PY, lockdown: LOCKDOWN_PY },
      subModelId: settings.subModelId,
      subConcurrency: settings.subConcurrency,
      maxCaptureChars: settings.maxCaptureChars,
      previewChars: CONTEXT_PREVIEW_CHARS,
      blockedModules: BLOCKED_MODULES,
      replySignal: this.replySignal.buffer as SharedArrayBuffer,
      interrupt: this.interrupt.buffer as SharedArrayBuffer,
      replyPort: port2,
    };
    this.worker = new Worker(WORKER_SCRIPT, { workerData: init, transferList: [port2], env: {}, argv: [], execArgv: [] });
    this.worker.on('message', (msg: WorkerToHost) => this.onMessage(msg));
    this.worker.on('error', (err) => this.onGone(`worker error: ${err.message}`));
    this.worker.on('exit', (code) => this.onGone(`worker exited with code ${code}`));
  }

  /** False once the session was closed or its worker is gone. */
  get live(): boolean {
    return !this.closed && this.lostReason === null;
  }

  /** Why the session is unusable, or null. */
  get lost(): string | null {
    return this.closed ? 'session was stopped' : this.lostReason;
  }

  /** Send one document (UTF-8 bytes; the buffer is transferred, not copied). */
  sendDocument(name: string, bytes: Uint8Array): void {
    this.post({ type: 'doc', name, bytes }, [bytes.buffer as ArrayBuffer]);
  }

  /** Resolves when the worker installed the documents; rejects with `DocumentError`/`SandboxError`. */
  waitLoaded(timeoutMs: number): Promise<WorkerLoaded> {
    this.worker.ref();
    const p = new Promise<WorkerLoaded>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SandboxError(`Pyodide sandbox did not start within ${seconds(timeoutMs)}`)), timeoutMs);
      this.loadWaiter = {
        resolve: (l) => (clearTimeout(timer), resolve(l)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
    return p.finally(() => {
      this.loadWaiter = null;
      if (!this.closed) this.worker.unref();
    });
  }

  /** Tell the worker all documents were sent. */
  documentsDone(): void {
    this.post({ type: 'docs-done' });
  }

  /** Post a protocol message to the worker (`transfer` moves buffers instead of copying them). */
  private post(msg: HostToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  async execute(code: string, options: CellExecOptions): Promise<CellResult> {
    const run = this.queue.then(() => this.runCell(code, options.timeoutMs, options.budget));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runCell(code: string, timeoutMs: number, budget?: SubCallBudget): Promise<CellResult> {
    if (!this.live) throw new SandboxSessionLostError(`sandbox session ${this.sessionId} is gone: ${this.lost}`);
    const id = ++this.execSeq;
    const t0 = Date.now();
    const timers: NodeJS.Timeout[] = [];
    this.worker.ref();
    const outcome = await new Promise<ExecOutcome>((resolve) => {
      this.pendingExec = { id, resolve };
      this.post({ type: 'exec', id, source: cellInvocation(code, 0, timeoutMs / 1000, budget) });
      timers.push(setTimeout(() => {
        Atomics.store(this.interrupt, 0, SIGINT);
        timers.push(setInterval(() => Atomics.store(this.interrupt, 0, SIGINT), this.settings.interruptRetryMs));
        timers.push(setTimeout(() => this.kill(id), this.settings.hardKillGraceMs));
      }, Math.max(1, timeoutMs)));
    });
    for (const t of timers) clearTimeout(t);
    this.pendingExec = null;
    if (this.live) this.worker.unref();
    return this.toCellResult(outcome, Date.now() - t0, timeoutMs);
  }

  private toCellResult(outcome: ExecOutcome, durationMs: number, timeoutMs: number): CellResult {
    const base = { stdout: '', timedOut: false, raised: false, durationMs, sub: emptySubStats() };
    const lostNotice = 'The sandbox session was lost; the next cell cannot run in it (all variables are gone).';
    switch (outcome.kind) {
      case 'report':
        try {
          return parseCellReport(outcome.json);
        } catch {
          return { ...base, raised: true, stderr: 'SandboxError: the cell runner returned no valid report (was _rlm_run_cell overwritten?)\n' };
        }
      case 'interrupted':
        return {
          ...base, timedOut: true,
          stderr: `TimeoutError: the cell ran longer than ${seconds(timeoutMs)} and was interrupted; its output was lost. Variables assigned before the interruption are kept.\n`,
        };
      case 'killed':
        return {
          ...base, timedOut: true, notices: [lostNotice],
          stderr: `TimeoutError: the cell ran longer than ${seconds(timeoutMs)} and ignored the interrupt for ${seconds(this.settings.hardKillGraceMs)}; the sandbox was stopped.\n`,
        };
      case 'error':
        return { ...base, raised: true, stderr: `SandboxError: ${outcome.message}\n`, ...(outcome.lost ? { notices: [lostNotice] } : {}) };
      case 'died':
        return { ...base, raised: true, stderr: `SandboxError: ${outcome.message}\n`, notices: [lostNotice] };
    }
  }

  private kill(id: number): void {
    if (this.pendingExec?.id !== id) return;
    this.lostReason = 'a timed-out cell ignored the interrupt and the worker was terminated';
    this.pendingExec.resolve({ kind: 'killed' });
    this.pendingExec = null;
    void this.worker.terminate();
  }

  private onMessage(msg: WorkerToHost): void {
    switch (msg.type) {
      case 'booted':
        this.bootMs = msg.ms;
        return;
      case 'loaded':
        this.loadWaiter?.resolve({ docs: msg.docs, totalChars: msg.totalChars, preview: msg.preview, bootMs: this.bootMs, loadMs: msg.loadMs });
        return;
      case 'doc-error':
        this.loadWaiter?.reject(new DocumentError(`document "${msg.name}" ${msg.message}`));
        return;
      case 'fatal':
        this.lostReason = msg.message;
        this.loadWaiter?.reject(new SandboxError(msg.message));
        this.pendingExec?.resolve({ kind: 'died', message: msg.message });
        return;
      case 'sub':
        void this.answerSub(msg.id, msg.payload);
        return;
      case 'result':
        if (this.pendingExec?.id !== msg.id) return;
        if (msg.lost) this.lostReason = `the Python interpreter failed: ${msg.error}`;
        this.pendingExec.resolve(
          msg.report !== undefined ? { kind: 'report', json: msg.report }
            : msg.interrupted ? { kind: 'interrupted' }
              : { kind: 'error', message: msg.error ?? 'unknown failure', lost: Boolean(msg.lost) },
        );
        return;
    }
  }

  private async answerSub(id: number, payload: string): Promise<void> {
    let prompts: string[] = [];
    let results: SubCallResult[];
    try {
      const req = parseSubRequest(payload);
      prompts = req.prompts;
      results = await runSubBatch(this.settings.subModel, req.model, prompts, this.limiter);
    } catch (err) {
      const error = `SandboxError: ${describeError(err).message}`;
      results = prompts.map(() => ({ text: '', error, input_tokens: 0, output_tokens: 0, ms: 0 }));
    }
    if (!this.live) return;
    const reply: SubReply = { id, payload: JSON.stringify(results) };
    this.replyPort.postMessage(reply);
    Atomics.add(this.replySignal, 0, 1);
    Atomics.notify(this.replySignal, 0);
  }

  private onGone(reason: string): void {
    if (this.closed) return;
    this.lostReason ??= reason;
    this.loadWaiter?.reject(new SandboxError(`Pyodide sandbox failed to start: ${reason}`));
    this.pendingExec?.resolve({ kind: 'died', message: `the sandbox worker stopped (${reason})` });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.loadWaiter?.reject(new SandboxSessionLostError(`sandbox session ${this.sessionId} was stopped`));
    this.pendingExec?.resolve({ kind: 'died', message: 'the sandbox session was stopped' });
    this.replyPort.close();
    await this.worker.terminate();
  }
}
