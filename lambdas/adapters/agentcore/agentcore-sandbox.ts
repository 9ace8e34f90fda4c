/**
 * `Sandbox` on the Amazon Bedrock AgentCore Code Interpreter: one code-interpreter session per run,
 * the core prelude installed in it, documents read from S3 inside the sandbox (execution role), and
 * sub-LLM calls made from the sandbox to Bedrock Converse with boto3. See docs/agentcore-sandbox.md.
 */
import {
  GetCodeInterpreterSessionCommand,
  ListCodeInterpreterSessionsCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
  type BedrockAgentCoreClient,
} from '@aws-sdk/client-bedrock-agentcore';
import { randomBytes } from 'node:crypto';
import { ConfigError, DocumentError, SandboxError, SandboxSessionLostError } from '../../core/errors';
import {
  CONTEXT_PREVIEW_CHARS,
  type LoadedContext,
  type RecoveredCell,
  type Sandbox,
  type SandboxSession,
  type SandboxStartOptions,
} from '../../core/ports';
import { renderSetupScript, SETUP_REPORT_MARKER, type SetupReport } from './agentcore-setup.py';
import { extractReport, InvokeDeadlineError, invokeCode, toSandboxError, type KernelOutput } from './agentcore-invoke';
import { AgentCoreSession, type SessionOwner } from './agentcore-session';

export { AgentCoreSession };

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
  /**
   * The longest session time-to-live, 60..28800 seconds (AgentCore's maximum is 8 hours; the deployment's
   * `sessionTimeoutSeconds`). A run's session gets `sessionTimeoutForRun` of the run's own `maxIterations`
   * (`SandboxStartOptions.maxIterations`) capped by it, or this when the start options carry none.
   */
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

/** AgentCore's bounds of `sessionTimeoutSeconds` (the service model's documentation: 60 s recommended minimum, 8 hours maximum). */
export const SESSION_TIMEOUT_BOUNDS_SECONDS = { min: 60, max: 28_800 } as const;

/** Lambda's longest invocation (seconds): the most one task (StartRun, a RootTurn, FinalizeRun) can take. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/**
 * A session's time-to-live from the run's wall-clock budget: StartRun, `maxIterations` RootTurns (the run's
 * own, from its start request or the deployment's default) and FinalizeRun, each at most
 * {@link LAMBDA_MAX_TIMEOUT_SECONDS}, bounded by `capSeconds` (the deployment's `sessionTimeoutSeconds`) and
 * AgentCore's bounds. A session nothing stops (an execution stopped between steps) then bills for about as long as
 * its run could have lasted, not for the 8-hour maximum. A run that outlives its session (state-machine retries)
 * gets a new one, as after any lost session.
 */
export function sessionTimeoutForRun(options: { maxIterations: number; capSeconds: number }): number {
  const budget = (options.maxIterations + 2) * LAMBDA_MAX_TIMEOUT_SECONDS;
  const { min, max } = SESSION_TIMEOUT_BOUNDS_SECONDS;
  return Math.max(min, Math.min(max, options.capSeconds, budget));
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
export class AgentCoreSandbox implements Sandbox, SessionOwner {
  readonly description: string;
  private readonly client: BedrockAgentCoreClient;
  private readonly invokeClient: BedrockAgentCoreClient;
  private readonly invokeRetryDelaysMs?: number[];
  private readonly opts: Required<Omit<AgentCoreSandboxOptions, 'client' | 'invokeClient' | 'invokeRetryDelaysMs' | 'subMaxOutputTokens'>> & { subMaxOutputTokens?: number };

  constructor(options: AgentCoreSandboxOptions) {
    const t = options.sessionTimeoutSeconds;
    const { min, max } = SESSION_TIMEOUT_BOUNDS_SECONDS;
    if (!Number.isInteger(t) || t < min || t > max) {
      throw new ConfigError(`sessionTimeoutSeconds must be an integer from ${min} to ${max}, got ${t}`);
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
    // A retried StartRun (the last attempt died after starting its session, before the run item held the
    // session ID) finds that session by the run's name and stops it: nothing is left billing.
    await this.stopSessionsNamed(sessionNameFor(options.runId));
    let sessionId: string | undefined;
    try {
      const res = await this.client.send(
        new StartCodeInterpreterSessionCommand({
          codeInterpreterIdentifier: this.opts.codeInterpreterId,
          name: sessionNameFor(options.runId),
          sessionTimeoutSeconds: this.sessionTimeoutFor(options),
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

  /** The session time-to-live of a run: its own wall-clock budget, within the configured cap. */
  sessionTimeoutFor(options: Pick<SandboxStartOptions, 'maxIterations'>): number {
    const cap = this.opts.sessionTimeoutSeconds;
    return options.maxIterations === undefined ? cap : sessionTimeoutForRun({ maxIterations: options.maxIterations, capSeconds: cap });
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

  /** Read session `sessionId`'s cell journal (see `AgentCoreSession.recoverCell`); no GetCodeInterpreterSession first. */
  recoverCell(sessionId: string, journalKey: string, options: { waitMs: number }): Promise<RecoveredCell | undefined> {
    return new AgentCoreSession(this, sessionId, this.opts.hardTimeoutGraceMs).recoverCell(journalKey, options);
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

  /**
   * Stop every READY session of this interpreter named `name` (ListCodeInterpreterSessions, all pages); returns
   * their IDs. Session names are not unique to AgentCore: the run's name makes them ours.
   */
  async stopSessionsNamed(name: string): Promise<string[]> {
    const found: string[] = [];
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListCodeInterpreterSessionsCommand({
          codeInterpreterIdentifier: this.opts.codeInterpreterId, status: 'READY', maxResults: 100, ...(nextToken ? { nextToken } : {}),
        }));
      } catch (err) {
        throw toSandboxError(err, 'ListCodeInterpreterSessions', false);
      }
      for (const s of page?.items ?? []) if (s.name === name && s.sessionId && s.status === 'READY') found.push(s.sessionId);
      nextToken = page?.nextToken;
    } while (nextToken);
    for (const id of found) await this.stop(id);
    return found;
  }

  /** @inheritdoc */
  stopRunSessions(runId: string): Promise<string[]> {
    return this.stopSessionsNamed(sessionNameFor(runId));
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
