/**
 * A live AgentCore Code Interpreter session of a run ({@link AgentCoreSession}): runs one cell per
 * InvokeCodeInterpreter call and reads its report; failures of model code come back as `CellResult` data.
 */
import { emptySubStats, parseCellReport } from '../../core/cell-report';
import { SandboxSessionLostError } from '../../core/errors';
import type { CellExecOptions, RecoveredCell, SandboxSession } from '../../core/ports';
import { CELL_REPORT_MARKER, JOURNAL_REPORT_MARKER, printedCellInvocation, printedJournalRead } from '../../core/prelude.py';
import type { CellResult } from '../../core/types';
import { extractReport, InvokeDeadlineError, type KernelOutput } from './agentcore-invoke';

/** What a session needs from the sandbox that started it (the invoke client, nonces, stopping). */
export interface SessionOwner {
  /** A fresh nonce for one cell's report line. */
  nonce(): string;
  /** Run code in a session within `deadlineMs`. */
  invoke(sessionId: string, code: string, deadlineMs: number, action: string): Promise<KernelOutput>;
  /** Stop a session (idempotent). */
  stop(sessionId: string): Promise<void>;
}

/** Kernel stderr saying the cell runner is undefined: the kernel lost the prelude (restarted). */
const RUNNER_MISSING = /NameError: name '_rlm_run_cell' is not defined/;

/** A live AgentCore session. Failures of model code come back as `CellResult` data. */
export class AgentCoreSession implements SandboxSession {
  private closed = false;

  constructor(
    private readonly owner: SessionOwner,
    readonly sessionId: string,
    private readonly graceMs: number,
  ) {}

  async execute(code: string, options: CellExecOptions): Promise<CellResult> {
    if (this.closed) throw new SandboxSessionLostError(`AgentCore session ${this.sessionId} was closed`);
    const timeoutSeconds = Math.max(1, options.timeoutMs) / 1000;
    const t0 = Date.now();
    // A fresh nonce per cell: only the line printed by this cell's invocation carries it.
    const nonce = this.owner.nonce();
    const invocation = printedCellInvocation(code, timeoutSeconds, { budget: options.budget, nonce, ...(options.journalKey ? { journalKey: options.journalKey } : {}) });
    let out: KernelOutput;
    try {
      out = await this.owner.invoke(this.sessionId, invocation, options.timeoutMs + this.graceMs, 'cell');
    } catch (err) {
      if (!(err instanceof InvokeDeadlineError)) throw err;
      return this.abandon(timeoutSeconds, Date.now() - t0);
    }
    const { report, rest } = extractReport(out.stdout, CELL_REPORT_MARKER + nonce);
    if (report === undefined) {
      if (RUNNER_MISSING.test(out.stderr) || RUNNER_MISSING.test(out.stdout)) {
        throw new SandboxSessionLostError(`AgentCore session ${this.sessionId} lost its Python state (the kernel was restarted)`);
      }
      return noReport(out, Date.now() - t0, 'the sandbox returned no cell report (the Python kernel may have crashed or been restarted)');
    }
    let result: CellResult;
    try {
      result = parseCellReport(report);
    } catch {
      return noReport(out, Date.now() - t0, 'the cell report could not be parsed (was _rlm_run_cell overwritten?)');
    }
    // Output that bypassed the cell's capture (e.g. a thread still printing) is kept, not dropped.
    if (rest.trim()) result.stdout = joinOutput(result.stdout, rest);
    if (out.stderr.trim()) result.stderr = joinOutput(result.stderr, out.stderr);
    return result;
  }

  /**
   * Read the session's cell journal for `journalKey` (one small cell; it waits in the sandbox up to `waitMs` for
   * the cell to end). Calls on one session run in arrival order, so a cell the dead invocation had sent runs (or
   * ran) before this read: `absent` means it never reached the kernel. Throttles and transient errors are thrown
   * (the read is safe to repeat); a lost session or no answer in time is undefined.
   */
  async recoverCell(journalKey: string, options: { waitMs: number }): Promise<RecoveredCell | undefined> {
    if (this.closed) return undefined;
    const nonce = this.owner.nonce();
    let out: KernelOutput;
    try {
      out = await this.owner.invoke(this.sessionId, printedJournalRead(journalKey, options.waitMs / 1000, nonce), options.waitMs + this.graceMs, 'cell recovery');
    } catch (err) {
      if (err instanceof InvokeDeadlineError || err instanceof SandboxSessionLostError) return undefined;
      throw err;
    }
    const { report } = extractReport(out.stdout, JOURNAL_REPORT_MARKER + nonce);
    if (report === undefined) return undefined; // no journal in this kernel (restarted, or set up by older code)
    const cut = report.indexOf(':');
    const [state, payload] = [report.slice(0, cut), report.slice(cut + 1)];
    try {
      if (state === 'done') return { state, result: parseCellReport(payload) };
      if (state === 'running') return { state, sub: parseCellReport(payload).sub };
      if (state === 'absent') return { state };
    } catch {
      // A report that does not parse (a cell overwrote the journal's contents) tells nothing.
    }
    return undefined;
  }

  /**
   * The call outlived the in-sandbox limit plus the grace: the kernel is stuck (code that ignores
   * SIGALRM). Stop the session so the next cell or turn starts a fresh one, and tell the model.
   */
  private async abandon(timeoutSeconds: number, elapsedMs: number): Promise<CellResult> {
    await this.close().catch(() => undefined);
    return {
      stdout: '',
      stderr:
        `TimeoutError: the cell ran longer than ${timeoutSeconds}s and could not be interrupted, so the sandbox session was stopped. ` +
        'A new session will be started: variables from earlier cells are lost; context and documents are loaded again.\n',
      timedOut: true,
      raised: false,
      durationMs: elapsedMs,
      sub: emptySubStats(),
      notices: ['The sandbox session was stopped because a cell could not be interrupted.'],
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.owner.stop(this.sessionId);
  }
}

function joinOutput(a: string, b: string): string {
  if (!a) return b;
  return a.endsWith('\n') ? a + b : `${a}\n${b}`;
}

function noReport(out: KernelOutput, durationMs: number, why: string): CellResult {
  const exit = out.exitCode === undefined ? '' : ` (exit code ${out.exitCode})`;
  return {
    stdout: out.stdout,
    stderr: joinOutput(out.stderr, `SandboxError: ${why}${exit}. Variables may be lost; run SHOW_VARS() to check.\n`),
    timedOut: false,
    raised: true,
    durationMs,
    sub: emptySubStats(),
  };
}
