/**
 * One `executeCode` call on an AgentCore Code Interpreter session: send the code, consume the whole
 * event stream, collect stdout/stderr, and map every failure to our named sandbox errors.
 *
 * `InvokeCodeInterpreter` is not idempotent (a retried call can run a cell twice), so the SDK client for
 * it has `maxAttempts: 1` and this module retries only while no output has arrived: a throttle or an
 * internal error (call or stream) before the first result event is retried after a short backoff within
 * the call's deadline. After output arrived, a transient failure is `SandboxUnavailableError` (the cell's
 * fate is unknown: the turn reports it as interrupted instead of running it again).
 */
import {
  InvokeCodeInterpreterCommand,
  type BedrockAgentCoreClient,
  type CodeInterpreterResult,
  type CodeInterpreterStreamOutput,
} from '@aws-sdk/client-bedrock-agentcore';
import { SandboxError, SandboxSessionLostError, SandboxThrottledError, SandboxUnavailableError } from '../../core/errors';
import { AWS_THROTTLING_ERROR_NAMES } from '../aws-errors';

/** What the kernel printed for one `executeCode` call. */
export interface KernelOutput {
  stdout: string;
  stderr: string;
  /** Some result event had `isError: true` (the submitted code raised). */
  isError: boolean;
  exitCode?: number;
}

/** Raised when the service did not answer within the hard deadline of a call. */
export class InvokeDeadlineError extends SandboxError {}

/** Messages that mean the session itself is gone (the service words this in several ways). */
const SESSION_GONE = /session[^.]*\b(expired|terminated|stopped|not found|does not exist|no longer)/i;
const THROTTLE_WORDS = /throttl|rate exceeded|too many requests/i;

/** Error names (SDK and stream) of transient service failures, retried while no output has arrived. */
const INTERNAL_ERROR_NAMES = new Set(['InternalServerException', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException']);
/** Node socket error codes of a dropped connection. */
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN']);

/** Default backoff of the in-call retries (three retries; each bounded by the call's deadline). */
export const INVOKE_RETRY_DELAYS_MS = [250, 1_000, 4_000];

type Transient = 'throttle' | 'internal' | undefined;

/** Whether an SDK/stream error is a throttle, a transient internal/network failure, or neither. */
function transientKind(err: unknown): Transient {
  const e = (err ?? {}) as { name?: unknown; message?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (AWS_THROTTLING_ERROR_NAMES.has(name) || (name === 'Error' && THROTTLE_WORDS.test(message))) return 'throttle';
  if (INTERNAL_ERROR_NAMES.has(name) || NETWORK_CODES.has(String(e.code ?? '')) || NETWORK_CODES.has(name)) return 'internal';
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return 'internal';
  return undefined;
}

/** Stream exception members and the SDK error names they correspond to. */
const STREAM_EXCEPTIONS: Record<string, string> = {
  accessDeniedException: 'AccessDeniedException',
  conflictException: 'ConflictException',
  internalServerException: 'InternalServerException',
  resourceNotFoundException: 'ResourceNotFoundException',
  serviceQuotaExceededException: 'ServiceQuotaExceededException',
  throttlingException: 'ThrottlingException',
  validationException: 'ValidationException',
};

/**
 * Map an SDK or stream error to `SandboxThrottledError` (retried by the state machine),
 * `SandboxSessionLostError` (only when `sessionScoped`: the call named a session) or `SandboxError`.
 * Errors that are already ours pass through.
 */
export function toSandboxError(err: unknown, action: string, sessionScoped: boolean): Error {
  if (err instanceof SandboxError || err instanceof SandboxThrottledError || err instanceof SandboxSessionLostError) return err;
  const e = (err ?? {}) as { name?: unknown; message?: unknown };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  const text = `AgentCore ${action} failed: ${name}: ${message}`;
  if (AWS_THROTTLING_ERROR_NAMES.has(name) || (name === 'Error' && THROTTLE_WORDS.test(message))) {
    return new SandboxThrottledError(text, { cause: err });
  }
  if (sessionScoped && (name === 'ResourceNotFoundException' || SESSION_GONE.test(message))) {
    return new SandboxSessionLostError(text, { cause: err });
  }
  return new SandboxError(text, { cause: err });
}

/** The error carried by a stream event that is an exception member, if any. */
function streamEventError(event: CodeInterpreterStreamOutput): Error | undefined {
  for (const [member, name] of Object.entries(STREAM_EXCEPTIONS)) {
    const body = (event as unknown as Record<string, { message?: string } | undefined>)[member];
    if (body) return Object.assign(new Error(body.message ?? member), { name });
  }
  return undefined;
}

function collect(out: KernelOutput, result: CodeInterpreterResult): void {
  const sc = result.structuredContent;
  if (sc && (typeof sc.stdout === 'string' || typeof sc.stderr === 'string')) {
    out.stdout += sc.stdout ?? '';
    out.stderr += sc.stderr ?? '';
  } else {
    out.stdout += (result.content ?? []).map((b) => (b.type === 'text' && b.text ? b.text : '')).join('');
  }
  if (typeof sc?.exitCode === 'number') out.exitCode = sc.exitCode;
  if (result.isError) out.isError = true;
}

/** Options of {@link invokeCode}. */
export interface InvokeOptions {
  codeInterpreterId: string;
  sessionId: string;
  code: string;
  /** Hard deadline for the call and its stream; past it the request is aborted. */
  deadlineMs: number;
  /** For error messages, e.g. `cell` or `session setup`. */
  action: string;
  /** Backoff of the retries made while no output has arrived (default `INVOKE_RETRY_DELAYS_MS`). */
  retryDelaysMs?: number[];
}

/**
 * Run `code` with `executeCode` and return what the kernel printed. Retries throttles and internal errors
 * while no output has arrived (see the module comment). Throws `SandboxThrottledError` (throttled, the cell
 * did not run), `SandboxUnavailableError` (transient; `cellDidNotRun` says whether output had arrived),
 * `SandboxSessionLostError`, `InvokeDeadlineError` or `SandboxError` (with the cause); an exception raised
 * by the code itself is output (`isError`), not a throw.
 */
export async function invokeCode(client: BedrockAgentCoreClient, options: InvokeOptions): Promise<KernelOutput> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new InvokeDeadlineError(`AgentCore ${options.action} did not answer within ${Math.round(options.deadlineMs / 1000)}s`));
    }, options.deadlineMs);
  });
  const delays = options.retryDelaysMs ?? INVOKE_RETRY_DELAYS_MS;
  const attempt = async (progress: { gotOutput: boolean }): Promise<KernelOutput> => {
    const res = await client.send(
      new InvokeCodeInterpreterCommand({
        codeInterpreterIdentifier: options.codeInterpreterId,
        sessionId: options.sessionId,
        name: 'executeCode',
        arguments: { language: 'python', code: options.code },
      }),
      { abortSignal: abort.signal },
    );
    if (!res.stream) throw new SandboxError(`AgentCore ${options.action} returned no event stream`);
    const out: KernelOutput = { stdout: '', stderr: '', isError: false };
    for await (const event of res.stream) {
      const failure = streamEventError(event);
      if (failure) throw failure;
      if (event.result) {
        progress.gotOutput = true;
        collect(out, event.result);
      }
    }
    return out;
  };
  const call = async (): Promise<KernelOutput> => {
    for (let retry = 0; ; retry++) {
      const progress = { gotOutput: false };
      try {
        return await attempt(progress);
      } catch (err) {
        const kind = transientKind(err);
        if (!kind) throw err;
        const text = `AgentCore ${options.action} failed: ${errName(err)}: ${errMessage(err)}`;
        if (progress.gotOutput) throw new SandboxUnavailableError(`${text} (after output had arrived: the cell may have run)`, { cause: err });
        const delay = delays[retry];
        if (delay === undefined || Date.now() - started + delay >= options.deadlineMs || abort.signal.aborted) {
          if (kind === 'throttle') throw new SandboxThrottledError(text, { cause: err });
          throw new SandboxUnavailableError(text, { cause: err, cellDidNotRun: true });
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  try {
    return await Promise.race([call(), deadline]);
  } catch (err) {
    throw toSandboxError(err, options.action, true);
  } finally {
    clearTimeout(timer);
  }
}

const errName = (err: unknown) => (typeof (err as { name?: unknown })?.name === 'string' ? (err as { name: string }).name : 'Error');
const errMessage = (err: unknown) => (typeof (err as { message?: unknown })?.message === 'string' ? (err as { message: string }).message : String(err));

/**
 * Split kernel stdout into the last line that starts with `marker` (its remainder, the report JSON)
 * and everything else. Only a line start counts: the marker inside the JSON of a report (model code
 * printing it) is never mistaken for the report.
 */
export function extractReport(stdout: string, marker: string): { report?: string; rest: string } {
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].startsWith(marker)) {
      const rest = [...lines.slice(0, i), ...lines.slice(i + 1)].join('\n');
      return { report: lines[i].slice(marker.length).replace(/\r$/, ''), rest };
    }
  }
  return { rest: stdout };
}
