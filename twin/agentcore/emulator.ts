/**
 * The twin's Amazon Bedrock AgentCore Code Interpreter data plane: `StartCodeInterpreterSession`,
 * `InvokeCodeInterpreter` (tool `executeCode`, Python), `GetCodeInterpreterSession`, `StopCodeInterpreterSession`
 * and `ListCodeInterpreterSessions`, with routes, error names/statuses and the event-stream members read from the
 * service model in `@aws-sdk/client-bedrock-agentcore`. Each session is a real CPython process (session.ts) whose
 * environment is `env` (credentials, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, region), so boto3
 * inside it does real HTTP to the twin. Clients reach it through `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`.
 *
 * `InvokeCodeInterpreter` answers 200 with an `application/vnd.amazon.eventstream` body holding one `result` event:
 * `content` [{type: 'text', text: stdout}], `structuredContent` {stdout, stderr, exitCode, executionTime (seconds)},
 * `isError` (the code raised). A missing, unknown or terminated session is `ResourceNotFoundException`.
 *
 * Fault points (detail = the session ID, for start the code interpreter ID):
 * - `agentcore.start`, `agentcore.get`, `agentcore.stop`, `agentcore.list`: HTTP-level throttle / server-error / drop / delay / timeout.
 * - `agentcore.invoke.before-output` — the code has not run: throttle/server-error as an HTTP error; with `error` naming
 *   a stream member (e.g. `'internalServerException'`) a 200 stream whose first event is that exception; `kill`
 *   restarts the kernel empty, then runs the code (which finds its variables gone).
 * - `agentcore.invoke.after-output` — the code ran and its `result` event was sent: throttle/server-error (or `error`)
 *   append a stream exception event; drop-connection cuts the connection; timeout leaves the stream open;
 *   kill restarts the kernel after the call.
 */
import { randomUUID } from 'node:crypto';
import * as agentcoreModel from '@aws-sdk/client-bedrock-agentcore';
import { NO_FAULTS, type FaultHitter, type FaultPoint, type FiredFault } from '../faults';
import {
  applyConnectionFault, dropConnection, eventFrame, exceptionFrame, faultError, matchPath, modelledErrors, readJsonBody,
  routeOf, sendAwsError, sendJson, startEventStream, startTwinServer, TwinHttpError, writeChunk,
  type TwinRequest, type TwinResponse, type TwinServer,
} from '../http';
import { KernelSession, SessionTerminatedError, type KernelReply } from './session';

/** Options of {@link startAgentCoreEmulator}. */
export interface AgentCoreEmulatorOptions {
  /** Where faults come from (default: none). */
  faults?: FaultHitter;
  /** The environment every kernel gets (plus PATH, HOME = its working directory, LANG, PYTHONIOENCODING). */
  env?: Record<string, string>;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Python interpreter (default `python3`). */
  python?: string;
}

/** A running AgentCore emulator. */
export interface AgentCoreEmulator extends TwinServer {
  /** Every session ever started (terminated ones included), by session ID. */
  sessions: Map<string, KernelSession>;
}

const OPS = {
  start: routeOf(agentcoreModel.StartCodeInterpreterSession$),
  invoke: routeOf(agentcoreModel.InvokeCodeInterpreter$),
  get: routeOf(agentcoreModel.GetCodeInterpreterSession$),
  stop: routeOf(agentcoreModel.StopCodeInterpreterSession$),
  list: routeOf(agentcoreModel.ListCodeInterpreterSessions$),
};
const ERRORS = modelledErrors(agentcoreModel as unknown as Record<string, unknown>);
/** The union members of `CodeInterpreterStreamOutput` (`result` and the exception members). */
const STREAM_MEMBERS: string[] = (agentcoreModel.CodeInterpreterStreamOutput$ as unknown as unknown[])[4] as string[];
const SESSION_HEADER = 'x-amzn-code-interpreter-session-id';
/** The model's timestamps are RFC 3339 date-time strings (the JS SDK refuses epoch numbers here). */
const epoch = (d: Date) => d.toISOString();

/** The stream member for an exception name: `ThrottlingException` -> `throttlingException` (must be modelled). */
function streamMember(name: string): string {
  const member = name[0].toLowerCase() + name.slice(1);
  if (!STREAM_MEMBERS.includes(member) || member === 'result') {
    throw new Error(`${name} is not an exception member of CodeInterpreterStreamOutput (${STREAM_MEMBERS.join(', ')})`);
  }
  return member;
}

/** Starts the emulator; see the module doc. */
export async function startAgentCoreEmulator(options: AgentCoreEmulatorOptions = {}): Promise<AgentCoreEmulator> {
  const faults = options.faults ?? NO_FAULTS;
  const env = options.env ?? {};
  const sessions = new Map<string, KernelSession>();

  const live = (interpreterId: string, sessionId: string | undefined): KernelSession => {
    if (!sessionId) throw new TwinHttpError(400, 'ValidationException', 'sessionId is required');
    const s = sessions.get(sessionId);
    if (!s || s.codeInterpreterId !== interpreterId) throw new TwinHttpError(404, 'ResourceNotFoundException', `Session ${sessionId} not found for code interpreter ${interpreterId}`);
    if (s.status !== 'READY') throw new TwinHttpError(404, 'ResourceNotFoundException', `Session ${sessionId} has been terminated`);
    return s;
  };

  /** HTTP-level part of a fault at a simple point; true when the request is answered. */
  const httpFault = async (point: FaultPoint, detail: string, req: TwinRequest, res: TwinResponse): Promise<boolean> => {
    const fault = await faults.hit(point, detail);
    if (await applyConnectionFault(fault, req)) return true;
    if (fault && (fault.kind === 'throttle' || fault.kind === 'server-error')) {
      const e = faultError(fault, ERRORS);
      sendAwsError(res, e.status, e.name, fault.message ?? `${e.name} injected by the twin (fault ${fault.id})`);
      return true;
    }
    return false;
  };

  const handle = async (req: TwinRequest, res: TwinResponse) => {
    const url = new URL(req.url ?? '/', 'http://twin');
    const route = (op: keyof typeof OPS) => (req.method === OPS[op].method ? matchPath(OPS[op].uri, url.pathname) : undefined);
    try {
      const body = await readJsonBody(req);
      let labels: Record<string, string> | undefined;
      if ((labels = route('start'))) {
        const id = labels.codeInterpreterIdentifier;
        if (await httpFault('agentcore.start', id, req, res)) return;
        const timeout = body.sessionTimeoutSeconds ?? 900;
        if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 28_800) {
          throw new TwinHttpError(400, 'ValidationException', 'sessionTimeoutSeconds must be an integer from 1 to 28800');
        }
        const session = new KernelSession(id, randomUUID(), typeof body.name === 'string' ? body.name : '', timeout, env, options.python);
        sessions.set(session.sessionId, session);
        return sendJson(res, OPS.start.status, { codeInterpreterIdentifier: id, sessionId: session.sessionId, createdAt: epoch(session.createdAt) });
      }
      if ((labels = route('get'))) {
        const sessionId = url.searchParams.get('sessionId') ?? undefined;
        if (await httpFault('agentcore.get', sessionId ?? '', req, res)) return;
        const s = sessionId ? sessions.get(sessionId) : undefined;
        if (!s || s.codeInterpreterId !== labels.codeInterpreterIdentifier) live(labels.codeInterpreterIdentifier, sessionId);
        return sendJson(res, OPS.get.status, {
          codeInterpreterIdentifier: s!.codeInterpreterId, sessionId: s!.sessionId, name: s!.name, createdAt: epoch(s!.createdAt),
          sessionTimeoutSeconds: s!.sessionTimeoutSeconds, status: s!.status,
        });
      }
      if ((labels = route('stop'))) {
        const sessionId = url.searchParams.get('sessionId') ?? undefined;
        if (await httpFault('agentcore.stop', sessionId ?? '', req, res)) return;
        const s = live(labels.codeInterpreterIdentifier, sessionId);
        s.terminate('stopped');
        return sendJson(res, OPS.stop.status, { codeInterpreterIdentifier: s.codeInterpreterId, sessionId: s.sessionId, lastUpdatedAt: epoch(s.lastUpdatedAt) });
      }
      if ((labels = route('list'))) {
        const id = labels.codeInterpreterIdentifier;
        if (await httpFault('agentcore.list', id, req, res)) return;
        return sendJson(res, OPS.list.status, listSessions(sessions, id, body));
      }
      if ((labels = route('invoke'))) return await invoke(labels.codeInterpreterIdentifier, body, req, res);
      return sendAwsError(res, 404, 'UnknownOperationException', `the twin's bedrock-agentcore has no ${req.method} ${url.pathname}`);
    } catch (err) {
      if (!(err instanceof TwinHttpError)) throw err;
      return sendAwsError(res, err.status, err.errorType, err.message);
    }
  };

  const invoke = async (interpreterId: string, body: Record<string, unknown>, req: TwinRequest, res: TwinResponse) => {
    const sessionId = req.headers[SESSION_HEADER] as string | undefined;
    const session = live(interpreterId, sessionId);
    const args = (body.arguments ?? {}) as Record<string, unknown>;
    if (body.name !== 'executeCode') throw new TwinHttpError(400, 'ValidationException', `the twin implements the executeCode tool only, got ${JSON.stringify(body.name)}`);
    if (args.language !== undefined && args.language !== 'python') throw new TwinHttpError(400, 'ValidationException', `the twin runs python only, got ${JSON.stringify(args.language)}`);
    if (typeof args.code !== 'string') throw new TwinHttpError(400, 'ValidationException', 'arguments.code is required');
    if (args.code.length > 100_000_000) throw new TwinHttpError(400, 'ValidationException', 'arguments.code is longer than 100000000 characters');

    const before = await faults.hit('agentcore.invoke.before-output', session.sessionId);
    if (before?.kind === 'kill') session.restartKernel();
    else if (before?.error && /^[a-z]/.test(before.error)) {
      startEventStream(res, { [SESSION_HEADER]: session.sessionId });
      await writeChunk(res, exceptionFrame(streamMember(before.error), before.message ?? `${before.error} injected by the twin (fault ${before.id})`));
      return void res.end();
    } else if (await applyConnectionFault(before, req)) return;
    else if (before && (before.kind === 'throttle' || before.kind === 'server-error')) {
      const e = faultError(before, ERRORS);
      return sendAwsError(res, e.status, e.name, before.message ?? `${e.name} injected by the twin (fault ${before.id})`);
    }

    startEventStream(res, { [SESSION_HEADER]: session.sessionId });
    (res as { flushHeaders?: () => void }).flushHeaders?.();
    let reply: KernelReply;
    try {
      reply = await session.execute(args.code);
    } catch (err) {
      if (!(err instanceof SessionTerminatedError)) throw err;
      await writeChunk(res, exceptionFrame('resourceNotFoundException', err.message));
      return void res.end();
    }
    await writeChunk(res, eventFrame('result', {
      content: [{ type: 'text', text: reply.stdout }],
      structuredContent: { stdout: reply.stdout, stderr: reply.stderr, exitCode: reply.exitCode, executionTime: reply.executionTime },
      isError: reply.isError,
    }));
    const after = await faults.hit('agentcore.invoke.after-output', session.sessionId);
    await afterOutput(after, session, req, res);
  };

  const server = await startTwinServer(handle, options.port);
  return {
    endpoint: server.endpoint,
    sessions,
    close: async () => {
      for (const s of sessions.values()) s.terminate('emulator closed');
      await server.close();
    },
  };
}

/**
 * ListCodeInterpreterSessions as the model defines it: `status` filter (READY | TERMINATED), `maxResults`
 * 1..100 (default 10), `nextToken` from the previous page (here: the index of the next item), oldest first.
 */
function listSessions(sessions: Map<string, KernelSession>, interpreterId: string, body: Record<string, unknown>): { items: unknown[]; nextToken?: string } {
  const max = body.maxResults ?? 10;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100) throw new TwinHttpError(400, 'ValidationException', 'maxResults must be an integer from 1 to 100');
  if (body.status !== undefined && body.status !== 'READY' && body.status !== 'TERMINATED') throw new TwinHttpError(400, 'ValidationException', `status must be READY or TERMINATED, got ${JSON.stringify(body.status)}`);
  const from = body.nextToken === undefined ? 0 : Number(body.nextToken);
  if (!Number.isInteger(from) || from < 0) throw new TwinHttpError(400, 'ValidationException', `invalid nextToken ${JSON.stringify(body.nextToken)}`);
  const all = [...sessions.values()].filter((s) => s.codeInterpreterId === interpreterId && (!body.status || s.status === body.status));
  const items = all.slice(from, from + max).map((s) => ({
    codeInterpreterIdentifier: interpreterId, sessionId: s.sessionId, name: s.name, status: s.status, createdAt: epoch(s.createdAt), lastUpdatedAt: epoch(s.lastUpdatedAt),
  }));
  return { items, ...(from + max < all.length ? { nextToken: String(from + max) } : {}) };
}

async function afterOutput(fault: FiredFault | undefined, session: KernelSession, req: TwinRequest, res: TwinResponse): Promise<void> {
  if (!fault) return void res.end();
  switch (fault.kind) {
    case 'throttle':
    case 'server-error': {
      const name = fault.error && /^[a-z]/.test(fault.error) ? fault.error : faultError(fault, ERRORS).name;
      await writeChunk(res, exceptionFrame(streamMember(name), fault.message ?? `${name} injected by the twin after output (fault ${fault.id})`));
      return void res.end();
    }
    case 'kill':
      session.restartKernel();
      return void res.end();
    case 'drop-connection':
      return dropConnection(req);
    case 'timeout':
      if (fault.delayMs !== undefined) await applyConnectionFault(fault, req);
      return; // the stream stays open: the client sees output but no end
    case 'delay':
      await applyConnectionFault(fault, req);
      return void res.end();
  }
}
