/**
 * One JSON POST over HTTP/1.1 on a kept-alive `net`/`tls` socket: what the OpenAI-compatible adapter sends
 * when no `fetch` is injected. A root turn makes one model call, and with a local zero-latency server the
 * client's own JavaScript is the call: `fetch` (undici, WHATWG streams, Request/Response/Headers objects,
 * a body clone) ran several times more of it than `node:http`, and `node:http` (agent, ClientRequest,
 * IncomingMessage streams, the HTTP parser's callbacks, async hooks) still spent about a third of the CLI's
 * main thread per root turn (perf, turns 21-75). This client writes the request in one `write` and reads
 * the response with a small parser of its own: status line, headers, and a body framed by
 * `content-length`, `transfer-encoding: chunked` or the end of the connection; a body sent with
 * `content-encoding` gzip, deflate or br is decompressed (none is asked for).
 *
 * Connections are reused across calls of the whole process (one pool per origin, shared by every adapter
 * instance, like `fetch`'s); an idle connection does not keep the process alive (unref) and is dropped
 * when the server closes it. A call on a reused connection that the server closed before sending any byte
 * of the response is sent again once on a new connection (the server never saw it, or dropped it unread).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';

/** Status and body text of one response. */
export interface HttpReply {
  status: number;
  text: string;
}

/** Idle connections by origin (`protocol//host:port`). */
const idle = new Map<string, net.Socket[]>();

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** A response head larger than this is refused (a server that is no HTTP server). */
const MAX_HEAD_BYTES = 64 * 1024;

/** A socket error with a `code`, as `node:http` reports them (ECONNRESET...). */
const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

function decode(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body);
    case 'deflate':
      return zlib.inflateSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    default:
      return body;
  }
}

/** Incremental reader of one HTTP/1.1 response; `feed` returns true once the response is complete. */
class ResponseReader {
  status = 0;
  headers: Record<string, string> = {};
  /** Bytes of the response seen so far (0: the connection was closed before any). */
  seen = 0;
  private buf: Buffer = Buffer.alloc(0);
  private headDone = false;
  private length = -1;
  private chunked = false;
  private readonly parts: Buffer[] = [];
  private bodyBytes = 0;
  done = false;

  feed(chunk: Buffer): boolean {
    this.seen += chunk.length;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.headDone && !this.readHead()) return false;
    return this.readBody();
  }

  /** The connection ended: complete when the body runs to the end of the connection. */
  ended(): boolean {
    if (this.headDone && !this.chunked && this.length < 0) {
      this.parts.push(this.buf);
      this.done = true;
    }
    return this.done;
  }

  /** True when the connection can serve another request after this response. */
  get reusable(): boolean {
    return this.done && this.headDone && (this.chunked || this.length >= 0) && !/\bclose\b/i.test(this.headers.connection ?? '');
  }

  text(): string {
    return decode(Buffer.concat(this.parts), this.headers['content-encoding']).toString('utf8');
  }

  private readHead(): boolean {
    for (;;) {
      const end = this.buf.indexOf(HEAD_END);
      if (end < 0) {
        if (this.buf.length > MAX_HEAD_BYTES) throw coded(`the response head exceeds ${MAX_HEAD_BYTES} bytes`, 'HPE_HEADER_OVERFLOW');
        return false;
      }
      const lines = this.buf.toString('latin1', 0, end).split('\r\n');
      this.buf = this.buf.subarray(end + 4);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
      if (!m) throw coded(`not an HTTP response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`, 'HPE_INVALID_CONSTANT');
      const status = Number(m[1]);
      if (status >= 100 && status < 200) continue; // 100 Continue and other interim responses
      this.status = status;
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      if (/^HTTP\/1\.0/.test(lines[0]!) && !/keep-alive/i.test(this.headers.connection ?? '')) this.headers.connection = 'close';
      this.chunked = /\bchunked\b/i.test(this.headers['transfer-encoding'] ?? '');
      const length = this.headers['content-length'];
      if (!this.chunked) this.length = status === 204 || status === 304 ? 0 : length !== undefined ? Number(length) : -1;
      if (!this.chunked && !(this.length >= -1 && Number.isInteger(this.length))) throw coded(`invalid content-length ${length}`, 'HPE_INVALID_CONTENT_LENGTH');
      this.headDone = true;
      return true;
    }
  }

  private readBody(): boolean {
    if (!this.chunked) {
      if (this.length < 0) return false; // to the end of the connection
      if (this.bodyBytes + this.buf.length < this.length) {
        this.parts.push(this.buf);
        this.bodyBytes += this.buf.length;
        this.buf = Buffer.alloc(0);
        return false;
      }
      this.parts.push(this.buf.subarray(0, this.length - this.bodyBytes));
      this.buf = Buffer.alloc(0);
      return (this.done = true);
    }
    for (;;) {
      const eol = this.buf.indexOf(CRLF);
      if (eol < 0) return false;
      const size = parseInt(this.buf.toString('latin1', 0, eol).split(';')[0]!.trim(), 16);
      if (!Number.isFinite(size) || size < 0) throw coded('invalid chunk size in a chunked response', 'HPE_INVALID_CHUNK_SIZE');
      if (size === 0) {
        // the last chunk, then optional trailers, then an empty line
        const rest = this.buf.subarray(eol + 2);
        if (rest.subarray(0, 2).equals(CRLF)) return (this.done = true);
        if (rest.indexOf(HEAD_END) < 0) return false;
        return (this.done = true);
      }
      if (this.buf.length < eol + 2 + size + 2) return false;
      this.parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
      this.buf = this.buf.subarray(eol + 2 + size + 2);
    }
  }
}

function connect(url: URL): net.Socket {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const socket = url.protocol === 'https:'
    ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] })
    : net.connect({ host, port });
  socket.setNoDelay(true);
  return socket;
}

/** How to take an idle connection out of the pool (its idle listeners removed). */
const detachers = new WeakMap<net.Socket, () => void>();

/** Take a live idle connection of `origin` out of the pool, or undefined. */
function takeIdle(origin: string): net.Socket | undefined {
  const list = idle.get(origin);
  while (list?.length) {
    const s = list.pop()!;
    detachers.get(s)?.();
    if (!s.destroyed && s.readable && s.writable) return s;
    s.destroy();
  }
  return undefined;
}

/** Put a connection back for the next call; it leaves the pool (destroyed) when the server closes it. */
function release(origin: string, socket: net.Socket): void {
  let list = idle.get(origin);
  if (!list) idle.set(origin, (list = []));
  list.push(socket);
  socket.unref();
  const drop = () => {
    detach();
    socket.destroy();
  };
  const detach = () => {
    const at = list!.indexOf(socket);
    if (at >= 0) list!.splice(at, 1);
    socket.off('end', drop).off('close', drop).off('error', drop).off('data', drop);
    detachers.delete(socket);
  };
  // nothing is expected on an idle connection: data, an end or an error retire it
  socket.on('end', drop).on('close', drop).on('error', drop).on('data', drop);
  detachers.set(socket, detach);
}

/** One request on `socket`; `reused`: the socket served an earlier call. */
function exchange(origin: string, socket: net.Socket, request: Buffer, signal: AbortSignal, reused: boolean): Promise<HttpReply | 'stale'> {
  return new Promise((resolve, reject) => {
    const reader = new ResponseReader();
    let settled = false;
    const finish = (outcome: { reply?: HttpReply | 'stale'; error?: unknown }) => {
      if (settled) return;
      settled = true;
      socket.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (outcome.error !== undefined) {
        socket.destroy();
        reject(outcome.error);
      } else resolve(outcome.reply!);
    };
    const onData = (chunk: Buffer) => {
      try {
        if (!reader.feed(chunk)) return;
        const reply = { status: reader.status, text: reader.text() };
        if (reader.reusable) release(origin, socket);
        else socket.destroy();
        finish({ reply });
      } catch (err) {
        finish({ error: err });
      }
    };
    const closedEarly = () => {
      if (reused && reader.seen === 0) {
        socket.destroy();
        finish({ reply: 'stale' });
        return;
      }
      try {
        if (reader.ended()) {
          const reply = { status: reader.status, text: reader.text() };
          socket.destroy();
          finish({ reply });
          return;
        }
      } catch (err) {
        finish({ error: err });
        return;
      }
      finish({ error: coded('the server closed the connection before the response ended', 'ECONNRESET') });
    };
    const onEnd = () => closedEarly();
    const onClose = () => closedEarly();
    const onError = (err: Error) => {
      if (reused && reader.seen === 0 && ['ECONNRESET', 'EPIPE'].includes((err as NodeJS.ErrnoException).code ?? '')) {
        socket.destroy();
        finish({ reply: 'stale' });
      } else finish({ error: err });
    };
    const onAbort = () => finish({ error: Object.assign(new Error('the request was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason }) });
    socket.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.ref();
    socket.write(request);
  });
}

/**
 * POST `body` (JSON text) to `url` and resolve with the status and the whole response text. Rejects with
 * the socket's error (`code` ECONNREFUSED, ECONNRESET...) or, when `signal` fires, an `AbortError` (the
 * connection is destroyed, so the server sees the request closed).
 */
export async function postJson(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpReply> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol} in ${url.href} (http: or https:)`);
  if (signal.aborted) throw Object.assign(new Error('the request was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason });
  const origin = `${url.protocol}//${url.host}`;
  const payload = Buffer.from(body, 'utf8');
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: keep-alive\r\ncontent-length: ${payload.length}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new TypeError(`invalid header ${JSON.stringify(k)}: it contains a line break`);
    head += `${k}: ${v}\r\n`;
  }
  const request = Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]);
  for (let attempt = 0; ; attempt++) {
    const reused = attempt === 0 ? takeIdle(origin) : undefined;
    const socket = reused ?? connect(url);
    const reply = await exchange(origin, socket, request, signal, reused !== undefined);
    if (reply !== 'stale') return reply;
  }
}
