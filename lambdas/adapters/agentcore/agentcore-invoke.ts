/**
 * One `executeCode` call on an AgentCore Code Interpreter session: send the code, consume the whole
 * event stream, collect stdout/stderr, and map every failure to our named sandbox errors.
 */
import {
  InvokeCodeInterpreterCommand,
  type BedrockAgentCoreClient,
  type CodeInterpreterResult,
  type CodeInterpreterStreamOutput,
} from '@aws-sdk/client-bedrock-agentcore';
import { SandboxError, SandboxSessionLostError, SandboxThrottledError } from '../../core/errors';
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
}

/**
 * Run `code` with `executeCode` and return what the kernel printed. Throws `SandboxThrottledError`,
 * `SandboxSessionLostError`, `InvokeDeadlineError` or `SandboxError` (with the cause) when the call or
 * its stream fails; an exception raised by the code itself is output (`isError`), not a throw.
 */
export async function invokeCode(client: BedrockAgentCoreClient, options: InvokeOptions): Promise<KernelOutput> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new InvokeDeadlineError(`AgentCore ${options.action} did not answer within ${Math.round(options.deadlineMs / 1000)}s`));
    }, options.deadlineMs);
  });
  const call = async (): Promise<KernelOutput> => {
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
      if (event.result) collect(out, event.result);
    }
    return out;
  };
  try {
    return await Promise.race([call(), deadline]);
  } catch (err) {
    throw toSandboxError(err, options.action, true);
  } finally {
    clearTimeout(timer);
  }
}

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
