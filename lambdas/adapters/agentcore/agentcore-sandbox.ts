/**
 * `Sandbox` on the Amazon Bedrock AgentCore Code Interpreter: one code-interpreter session per run,
 * the core prelude installed in it, documents read from S3 inside the sandbox (execution role), and
 * sub-LLM calls made from the sandbox to Bedrock Converse with boto3. See docs/agentcore-sandbox.md.
 */
import {
  GetCodeInterpreterSessionCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
  type BedrockAgentCoreClient,
} from '@aws-sdk/client-bedrock-agentcore';
import { randomBytes } from 'node:crypto';
import { emptySubStats, parseCellReport } from '../../core/cell-report';
import { ConfigError, DocumentError, SandboxError, SandboxSessionLostError } from '../../core/errors';
import {
  CONTEXT_PREVIEW_CHARS,
  type CellExecOptions,
  type LoadedContext,
  type Sandbox,
  type SandboxSession,
  type SandboxStartOptions,
} from '../../core/ports';
import { CELL_REPORT_MARKER, printedCellInvocation } from '../../core/prelude.py';
import type { CellResult } from '../../core/types';
import { renderSetupScript, SETUP_REPORT_MARKER, type SetupReport } from './agentcore-setup.py';
import { extractReport, InvokeDeadlineError, invokeCode, toSandboxError, type KernelOutput } from './agentcore-invoke';

/** Options of {@link AgentCoreSandbox}. */
export interface AgentCoreSandboxOptions {
  /** Client of the session calls (start, get, stop): the SDK's retries are fine for those. */
  client: BedrockAgentCoreClient;
  /**
   * Client of `InvokeCodeInterpreter`, which is not idempotent: build it with `maxAttempts: 1` (the adapter
   * retries only while no output has arrived). Default: `client`.
   */
  invokeClient?: BedrockAgentCoreClient;
  /** Backoff of the invoke retries made while no output has arrived (default `INVOKE_RETRY_DELAYS_MS`). */
  invokeRetryDelaysMs?: number[];
  /** ID of the (custom) code interpreter whose execution role may read the documents and call Bedrock. */
  codeInterpreterId: string;
  /** Region of the Bedrock Runtime client the sandbox uses for sub-calls. */
  region: string;
  /** Session time-to-live, 60..28800 seconds (AgentCore's maximum is 8 hours). */
  sessionTimeoutSeconds: number;
  /** Region of the documents' bucket (default: `region`). */
  s3Region?: string;
  /** Time a cell's call may run past its in-sandbox limit before it is abandoned (default 10 s). */
  hardTimeoutGraceMs?: number;
  /** Hard deadline of the setup call that installs the prelude and loads the documents (default 300 s). */
  setupTimeoutMs?: number;
  /** botocore `total_max_attempts` (first try included) of the in-sandbox Bedrock client (default 8, adaptive mode). */
  subMaxAttempts?: number;
  /** botocore `read_timeout` of the in-sandbox Bedrock client in seconds (default 300). */
  subReadTimeoutSeconds?: number;
  /** `inferenceConfig.maxTokens` of each in-sandbox sub-call (default: not sent, the model's own default). */
  subMaxOutputTokens?: number;
  /** Nonce of each cell's report line, [0-9A-Za-z] (default 24 random hex digits; tests pin it). */
  cellNonce?: () => string;
}

/** AgentCore session names allow 1..100 characters; we keep to letters, digits and dashes. */
export function sessionNameFor(runId: string): string {
  const cleaned = `rlm-${runId}`.replace(/[^0-9A-Za-z-]+/g, '-').replace(/-+/g, '-').replace(/-$/, '');
  return cleaned.slice(0, 100).replace(/-$/, '');
}

/** Validate the documents before a session is started (no AWS call wasted on a bad list). */
function checkDocuments(options: SandboxStartOptions): void {
  const seen = new Set<string>();
  for (const d of options.documents) {
    if (!/^s3:\/\/[^/]+\/.+/s.test(d.uri)) {
      throw new DocumentError(`document ${JSON.stringify(d.name)} has no s3://bucket/key URI (${d.uri}); the AgentCore sandbox reads documents from S3`);
    }
    if (seen.has(d.name)) throw new DocumentError(`document ${JSON.stringify(d.name)} is listed twice`);
    seen.add(d.name);
  }
}

/** `Sandbox` on the AgentCore Code Interpreter. */
export class AgentCoreSandbox implements Sandbox {
  readonly description: string;
  private readonly client: BedrockAgentCoreClient;
  private readonly invokeClient: BedrockAgentCoreClient;
  private readonly invokeRetryDelaysMs?: number[];
  private readonly opts: Required<Omit<AgentCoreSandboxOptions, 'client' | 'invokeClient' | 'invokeRetryDelaysMs' | 'subMaxOutputTokens'>> & { subMaxOutputTokens?: number };

  constructor(options: AgentCoreSandboxOptions) {
    const t = options.sessionTimeoutSeconds;
    if (!Number.isInteger(t) || t < 60 || t > 28_800) {
      throw new ConfigError(`sessionTimeoutSeconds must be an integer from 60 to 28800, got ${t}`);
    }
    if (!options.codeInterpreterId) throw new ConfigError('codeInterpreterId is required for the AgentCore sandbox');
    if (!options.region) throw new ConfigError('region is required for the AgentCore sandbox');
    this.client = options.client;
    this.invokeClient = options.invokeClient ?? options.client;
    this.invokeRetryDelaysMs = options.invokeRetryDelaysMs;
    this.opts = {
      codeInterpreterId: options.codeInterpreterId,
      region: options.region,
      sessionTimeoutSeconds: t,
      s3Region: options.s3Region ?? options.region,
      hardTimeoutGraceMs: options.hardTimeoutGraceMs ?? 10_000,
      setupTimeoutMs: options.setupTimeoutMs ?? 300_000,
      subMaxAttempts: options.subMaxAttempts ?? 8,
      subReadTimeoutSeconds: options.subReadTimeoutSeconds ?? 300,
      cellNonce: options.cellNonce ?? (() => randomBytes(12).toString('hex')),
      ...(options.subMaxOutputTokens !== undefined ? { subMaxOutputTokens: options.subMaxOutputTokens } : {}),
    };
    this.description = `agentcore:${options.codeInterpreterId}`;
  }

  async start(options: SandboxStartOptions): Promise<{ session: SandboxSession; loaded: LoadedContext }> {
    checkDocuments(options);
    let sessionId: string | undefined;
    try {
      const res = await this.client.send(
        new StartCodeInterpreterSessionCommand({
          codeInterpreterIdentifier: this.opts.codeInterpreterId,
          name: sessionNameFor(options.runId),
          sessionTimeoutSeconds: this.opts.sessionTimeoutSeconds,
        }),
      );
      sessionId = res.sessionId;
    } catch (err) {
      throw toSandboxError(err, 'StartCodeInterpreterSession', false);
    }
    if (!sessionId) throw new SandboxError('AgentCore StartCodeInterpreterSession returned no session ID');
    try {
      const loaded = await this.setup(sessionId, options);
      return { session: new AgentCoreSession(this, sessionId, this.opts.hardTimeoutGraceMs), loaded };
    } catch (err) {
      await this.stop(sessionId).catch(() => undefined);
      if (err instanceof SandboxSessionLostError) {
        throw new SandboxError(`the new session ${sessionId} was lost during setup: ${err.message}`, { cause: err });
      }
      // Callers match on the port's error names: a setup that hung is a plain SandboxError.
      throw err instanceof InvokeDeadlineError ? new SandboxError(err.message, { cause: err }) : err;
    }
  }

  /** Install the prelude and backend, load the documents in the sandbox, parse the setup report. */
  private async setup(sessionId: string, options: SandboxStartOptions): Promise<LoadedContext> {
    const code = renderSetupScript({
      region: this.opts.region,
      s3Region: this.opts.s3Region,
      subModelId: options.subModelId,
      subConcurrency: options.subConcurrency,
      maxCaptureChars: options.maxCaptureChars,
      documents: options.documents,
      previewChars: CONTEXT_PREVIEW_CHARS,
      subMaxAttempts: this.opts.subMaxAttempts,
      subReadTimeoutSeconds: this.opts.subReadTimeoutSeconds,
      allowedModels: options.allowedModels ?? [options.subModelId],
      subMaxOutputTokens: options.subMaxOutputTokens ?? this.opts.subMaxOutputTokens,
    });
    // Bounded by the invocation's remaining time when the caller passed its deadline.
    const left = options.deadline === undefined ? Infinity : options.deadline - Date.now();
    if (left < 1_000) throw new SandboxError(`no time left to set up a new AgentCore session (${left} ms before the invocation's deadline)`);
    const setupMs = Math.min(this.opts.setupTimeoutMs, left);
    const out = await this.invoke(sessionId, code, setupMs, 'session setup');
    const { report } = extractReport(out.stdout, SETUP_REPORT_MARKER);
    let parsed: SetupReport;
    try {
      if (report === undefined) throw new Error('no setup report');
      parsed = JSON.parse(report) as SetupReport;
    } catch {
      throw new SandboxError(`AgentCore session setup printed no valid report; stderr: ${tail(out.stderr || out.stdout)}`);
    }
    if (!parsed.ok) {
      if (parsed.kind === 'document') throw new DocumentError(parsed.message);
      throw new SandboxError(`AgentCore session setup failed: ${parsed.message}`);
    }
    const byName = new Map(options.documents.map((d) => [d.name, d]));
    return {
      documents: parsed.documents.map((d) => ({ name: d.name, uri: byName.get(d.name)?.uri ?? '', chars: d.chars })),
      totalChars: parsed.total_chars,
      preview: parsed.preview,
    };
  }

  async resume(sessionId: string, _options: SandboxStartOptions): Promise<SandboxSession> {
    let status: string | undefined;
    try {
      const res = await this.client.send(
        new GetCodeInterpreterSessionCommand({ codeInterpreterIdentifier: this.opts.codeInterpreterId, sessionId }),
      );
      status = res.status;
    } catch (err) {
      throw toSandboxError(err, 'GetCodeInterpreterSession', true);
    }
    if (status !== 'READY') {
      throw new SandboxSessionLostError(`AgentCore session ${sessionId} is ${status ?? 'in no known state'}, not READY`);
    }
    return new AgentCoreSession(this, sessionId, this.opts.hardTimeoutGraceMs);
  }

  /** @internal A fresh nonce for one cell's report line. */
  nonce(): string {
    return this.opts.cellNonce();
  }

  async stop(sessionId: string): Promise<void> {
    try {
      await this.client.send(
        new StopCodeInterpreterSessionCommand({ codeInterpreterIdentifier: this.opts.codeInterpreterId, sessionId }),
      );
    } catch (err) {
      const mapped = toSandboxError(err, 'StopCodeInterpreterSession', true);
      if (mapped instanceof SandboxSessionLostError) return; // already gone: stopping is idempotent
      throw mapped;
    }
  }

  /** @internal Run code in a session (shared by setup and cells). */
  invoke(sessionId: string, code: string, deadlineMs: number, action: string): Promise<KernelOutput> {
    return invokeCode(this.invokeClient, {
      codeInterpreterId: this.opts.codeInterpreterId, sessionId, code, deadlineMs, action,
      ...(this.invokeRetryDelaysMs ? { retryDelaysMs: this.invokeRetryDelaysMs } : {}),
    });
  }
}

function tail(text: string, n = 2000): string {
  const t = text.trim();
  return t.length > n ? `...${t.slice(-n)}` : t || '(empty)';
}

/** Kernel stderr saying the cell runner is undefined: the kernel lost the prelude (restarted). */
const RUNNER_MISSING = /NameError: name '_rlm_run_cell' is not defined/;

/** A live AgentCore session. Failures of model code come back as `CellResult` data. */
export class AgentCoreSession implements SandboxSession {
  private closed = false;

  constructor(
    private readonly owner: AgentCoreSandbox,
    readonly sessionId: string,
    private readonly graceMs: number,
  ) {}

  async execute(code: string, options: CellExecOptions): Promise<CellResult> {
    if (this.closed) throw new SandboxSessionLostError(`AgentCore session ${this.sessionId} was closed`);
    const timeoutSeconds = Math.max(1, options.timeoutMs) / 1000;
    const t0 = Date.now();
    // A fresh nonce per cell: only the line printed by this cell's invocation carries it.
    const nonce = this.owner.nonce();
    const invocation = printedCellInvocation(code, timeoutSeconds, { budget: options.budget, nonce });
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
