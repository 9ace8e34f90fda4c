/**
 * One JSON POST over `node:http` / `node:https` with keep-alive connections: what the OpenAI-compatible
 * adapter sends when no `fetch` is injected. A root turn makes one model call, and `fetch` (undici behind
 * WHATWG streams, `Request`/`Response`/`Headers` objects, a body clone) ran several times more JavaScript
 * per call than the request itself needs; in a short-lived CLI most of it runs unoptimized.
 *
 * Connections are reused across calls of the whole process through one keep-alive agent per protocol
 * (an idle connection does not keep the process alive: Node unrefs free sockets). The response body is
 * decompressed when the server sends `content-encoding` gzip, deflate or br (none is asked for).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';

/** Status and body text of one response. */
export interface HttpReply {
  status: number;
  text: string;
}

/** The process's keep-alive agents (shared by every adapter instance, like `fetch`'s global pool). */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
} as const;

function decoded(res: http.IncomingMessage): Readable {
  switch (String(res.headers['content-encoding'] ?? '').toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(zlib.createGunzip());
    case 'deflate':
      return res.pipe(zlib.createInflate());
    case 'br':
      return res.pipe(zlib.createBrotliDecompress());
    default:
      return res;
  }
}

/**
 * POST `body` (JSON text) to `url` and resolve with the status and the whole response text. Rejects with
 * the socket's error (`code` ECONNREFUSED, ECONNRESET...) or, when `signal` fires, an `AbortError` (the
 * request and its connection are destroyed, so the server sees the request closed).
 */
export function postJson(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpReply> {
  const agent = url.protocol === 'https:' ? AGENTS['https:'] : url.protocol === 'http:' ? AGENTS['http:'] : undefined;
  if (!agent) return Promise.reject(new TypeError(`unsupported protocol ${url.protocol} in ${url.href} (http: or https:)`));
  const payload = Buffer.from(body, 'utf8');
  return new Promise<HttpReply>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent,
      signal,
      headers: { ...headers, 'content-length': String(payload.length) },
    }, (res) => {
      const chunks: Buffer[] = [];
      const stream = decoded(res);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      stream.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('the server closed the connection before the response ended'), { code: 'ECONNRESET' })));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
