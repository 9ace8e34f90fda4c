/**
 * Loopback HTTP plumbing shared by the twin's emulators: one port that speaks both HTTP/1.1 (boto3, most JS SDK
 * clients) and cleartext HTTP/2 with prior knowledge (the JS SDK's bedrock-runtime client uses `NodeHttp2Handler`),
 * AWS error responses as the REST-JSON protocol carries them, and the connection-level faults of the switchboard.
 */
import { createServer as createHttp1, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createNet, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { faultDelay, type FiredFault } from './faults';

/** A request of either HTTP version. */
export type TwinRequest = IncomingMessage | Http2ServerRequest;
/** A response of either HTTP version (the compatibility API makes both look alike). */
export type TwinResponse = ServerResponse | Http2ServerResponse;
/** A request handler; a thrown error becomes a 500 `InternalServerException`. */
export type TwinHandler = (req: TwinRequest, res: TwinResponse) => Promise<void> | void;

/** A running emulator: its endpoint (for `AWS_ENDPOINT_URL_<SERVICE>`) and how to stop it. */
export interface TwinServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  /** Stops listening and destroys every open connection (held requests included). */
  close(): Promise<void>;
}

const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

/** A duplex over `socket` that first yields `head` (bytes already read from it). */
function relay(socket: Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read() { socket.resume(); },
    write(chunk: Buffer, _enc, cb) { socket.write(chunk, cb); },
    final(cb) { socket.end(); cb(); },
    destroy(err, cb) { socket.destroy(); cb(err); },
  });
  duplex.push(head);
  socket.on('data', (d: Buffer) => { if (!duplex.push(d)) socket.pause(); });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

/**
 * Serves `handler` on 127.0.0.1 (`port` 0: a free one). Each connection's first bytes decide its protocol:
 * the HTTP/2 connection preface goes to an HTTP/2 server, anything else to an HTTP/1.1 server.
 */
export async function startTwinServer(handler: TwinHandler, port = 0): Promise<TwinServer> {
  const wrapped = (req: TwinRequest, res: TwinResponse) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (res.headersSent) { res.destroy?.(); return; }
        sendAwsError(res, 500, 'InternalServerException', `twin emulator failed: ${(err as Error).message}`);
      });
  };
  const h1 = createHttp1({ keepAliveTimeout: 60_000, requestTimeout: 0 }, wrapped);
  const h2 = createHttp2({}, wrapped);
  const sockets = new Set<Socket>();
  const net = createNet((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const first = (chunk: Buffer) => {
      const n = Math.min(chunk.length, HTTP2_PREFACE.length);
      if (chunk.length >= 3 && HTTP2_PREFACE.subarray(0, n).equals(chunk.subarray(0, n))) {
        // The HTTP/2 session reads the socket's handle directly and would miss bytes already read:
        // hand it a stream that replays the first chunk, then relays the socket.
        h2.emit('connection', relay(socket, chunk));
        return;
      }
      socket.pause();
      socket.unshift(chunk);
      h1.emit('connection', socket);
      socket.resume();
    };
    socket.once('data', first);
  });
  await new Promise<void>((resolve) => net.listen(port, '127.0.0.1', resolve));
  const address = net.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      h1.close();
      h2.close();
      net.close(() => resolve());
    }),
  };
}

/** The whole request body. */
export async function readBody(req: TwinRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

/** Parses a JSON body; an empty body is `{}`; bad JSON is a `SerializationError`-like 400 thrown as {@link TwinHttpError}. */
export async function readJsonBody(req: TwinRequest): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8');
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch { /* fall through */ }
  throw new TwinHttpError(400, 'ValidationException', 'request body is not a JSON object');
}

/** An error an emulator handler throws to answer with an AWS error shape. */
export class TwinHttpError extends Error {
  constructor(readonly status: number, readonly errorType: string, message: string) {
    super(message);
    this.name = 'TwinHttpError';
  }
}

/** A JSON response with a request ID, as AWS REST-JSON services send. */
export function sendJson(res: TwinResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(data.length),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(data);
}

/**
 * An AWS REST-JSON error: status, `x-amzn-errortype: NAME` (what the JS SDK and botocore read to pick the
 * exception class) and a JSON body `{ message }` (plus `extra` members of the error shape).
 */
export function sendAwsError(res: TwinResponse, status: number, name: string, message: string, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, { message, ...extra }, { 'x-amzn-errortype': name });
}

/** Destroys the connection under a request without answering (for HTTP/2: the whole session). */
export function dropConnection(req: TwinRequest): void {
  const h2 = (req as Http2ServerRequest).stream;
  if (h2) h2.session?.destroy();
  else (req as IncomingMessage).socket.destroy();
}

/**
 * Applies the connection-level part of a fired fault: `delay` waits and returns false (go on normally);
 * `drop-connection` and `kill` drop the connection; `timeout` holds the request (for `delayMs`, then drops it;
 * without `delayMs` until the client gives up or the server closes). Returns true when the request is done with.
 * `throttle` and `server-error` are service-specific: the caller answers them (returns false here).
 */
export async function applyConnectionFault(fault: FiredFault | undefined, req: TwinRequest): Promise<boolean> {
  if (!fault) return false;
  switch (fault.kind) {
    case 'delay':
      await faultDelay(fault.delayMs ?? 1000);
      return false;
    case 'drop-connection':
    case 'kill':
      dropConnection(req);
      return true;
    case 'timeout':
      if (fault.delayMs !== undefined) {
        await faultDelay(fault.delayMs);
        dropConnection(req);
      }
      return true;
    default:
      return false;
  }
}

/** Matches `path` against a template like `/model/{modelId}/converse`; returns the decoded labels or undefined. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const re = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, n: string) => {
    names.push(n);
    return '([^/]+)';
  }) + '$');
  const m = re.exec(path);
  if (!m) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
}

/** An operation's HTTP binding, read from the SDK's service model schema (`[9, ns, name, { http: [m, uri, code] }]`). */
export interface OperationRoute { name: string; method: string; uri: string; status: number }

/** The HTTP binding of an operation schema exported by an `@aws-sdk/client-*` package (e.g. `Converse$`). */
export function routeOf(operationSchema: unknown): OperationRoute {
  const s = operationSchema as [number, string, string, { http?: [string, string, number] }];
  const http = s?.[3]?.http;
  if (!Array.isArray(s) || s[0] !== 9 || !http) throw new Error(`not an operation schema with an HTTP binding: ${JSON.stringify(s)?.slice(0, 200)}`);
  return { name: s[2], method: http[0], uri: http[1].split('?')[0], status: http[2] };
}

/** One modelled error: its exception name, HTTP status and fault side. */
export interface ModelledError { name: string; status: number; fault: 'client' | 'server' }

/**
 * The error shapes of a service, read from the schemas an `@aws-sdk/client-*` package exports
 * (`[-3, ns, Name, { error, httpError }, ...]`), so names and status codes are the service model's own.
 */
export function modelledErrors(sdkModule: Record<string, unknown>): Map<string, ModelledError> {
  const out = new Map<string, ModelledError>();
  for (const [key, value] of Object.entries(sdkModule)) {
    if (!key.endsWith('$') || !Array.isArray(value) || value[0] !== -3) continue;
    const traits = value[3] as { error?: 'client' | 'server'; httpError?: number } | 0;
    if (!traits || typeof traits.httpError !== 'number' || !traits.error) continue;
    out.set(value[2] as string, { name: value[2] as string, status: traits.httpError, fault: traits.error });
  }
  return out;
}

/**
 * The error a `throttle` or `server-error` fault stands for in a service: `fault.error` if named (must be one of
 * the service's modelled errors), else `ThrottlingException`, else the server error with `fault.status` (default 500).
 */
export function faultError(fault: FiredFault, errors: Map<string, ModelledError>): ModelledError {
  if (fault.error) {
    const e = errors.get(fault.error);
    if (!e) throw new Error(`fault ${fault.id}: ${fault.error} is not an error of this service (known: ${[...errors.keys()].join(', ')})`);
    return e;
  }
  if (fault.kind === 'throttle') return errors.get('ThrottlingException') ?? { name: 'ThrottlingException', status: 429, fault: 'client' };
  const status = fault.status ?? 500;
  const usual = errors.get(status === 503 ? 'ServiceUnavailableException' : 'InternalServerException');
  if (usual?.status === status) return usual;
  const e = [...errors.values()].find((x) => x.status === status && x.fault === 'server');
  return e ?? { name: 'InternalServerException', status, fault: 'server' };
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One `application/vnd.amazon.eventstream` event frame: `:event-type` = the union member, JSON payload. */
export function eventFrame(member: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: member },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** One modelled exception inside an event stream: `:exception-type` = the union member, JSON `{ message }`. */
export function exceptionFrame(member: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'exception' },
      ':exception-type': { type: 'string', value: member },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** Starts an event-stream response (status 200, the event-stream content type, chunked). */
export function startEventStream(res: TwinResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': randomUUID(), ...headers });
}

/** Writes one chunk of a streamed body (either HTTP version); resolves when it is handed to the socket. */
export function writeChunk(res: TwinResponse, data: Uint8Array): Promise<void> {
  return new Promise((resolve) => { (res as ServerResponse).write(data, () => resolve()); });
}
