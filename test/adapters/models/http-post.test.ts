/**
 * The model adapters' own HTTP/1.1 client (lambdas/adapters/models/http-post.ts) against raw TCP servers on
 * loopback that answer byte by byte as a test tells them: every body framing (content-length, chunked, to the
 * end of the connection), responses split at awkward places, interim responses, keep-alive reuse and a
 * connection the server closed while idle, concurrent calls, aborts and refused connections.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { postJson } from '../../../lambdas/adapters/models/http-post';

interface Raw {
  url: URL;
  connections: () => number;
  requests: string[];
  close(): Promise<void>;
}

/** A TCP server; `answer` gets each complete request (head + body text) and the socket to write to. */
async function rawServer(answer: (req: string, socket: net.Socket, n: number) => void): Promise<Raw> {
  let connections = 0;
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = '';
    socket.on('data', (c) => {
      buf += c.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const req = buf.slice(0, end + 4 + length);
        buf = buf.slice(end + 4 + length);
        requests.push(req);
        answer(req, socket, requests.length);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions?x=1`),
    connections: () => connections,
    requests,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Write `parts` one after another with a pause between, so the client sees them as separate reads. */
async function dribble(socket: net.Socket, parts: Array<string | Buffer>): Promise<void> {
  for (const p of parts) {
    socket.write(p);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const post = (url: URL, body = '{"q":1}', signal = new AbortController().signal) => postJson(url, { 'content-type': 'application/json', authorization: 'Bearer k' }, body, signal);

test('the request: one POST with host, length, the given headers and the body; content-length framing split anywhere', async () => {
  const srv = await rawServer((_req, socket) => {
    void dribble(socket, ['HTTP/1.1 200 OK\r\nContent-Le', 'ngth: 11\r\nX-A: b\r\n', '\r\nhello', ' world']);
  });
  try {
    const body = JSON.stringify({ text: 'ünïcode ✓' });
    expect(await post(srv.url, body)).toEqual({ status: 200, text: 'hello world' });
    const req = srv.requests[0]!;
    expect(req.startsWith('POST /v1/chat/completions?x=1 HTTP/1.1\r\n')).toBe(true);
    expect(req).toContain(`host: ${srv.url.host}\r\n`);
    expect(req).toContain(`content-length: ${Buffer.byteLength(body)}\r\n`);
    expect(req).toContain('authorization: Bearer k\r\n');
    expect(Buffer.from(req.slice(req.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8')).toBe(body);
  } finally {
    await srv.close();
  }
});

test('chunked bodies (chunks split across reads, extensions, trailers) and a gzip body', async () => {
  const zipped = gzipSync(Buffer.from('zipped text'));
  const srv = await rawServer((_req, socket, n) => {
    if (n === 1) void dribble(socket, ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', 'lo\r\n6;ext=1\r\n', ' world\r\n0\r\n', '\r\n']);
    if (n === 2) void dribble(socket, ['HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n']);
    if (n === 3) void dribble(socket, [`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${zipped.length}\r\n\r\n`, zipped]);
  });
  try {
    expect(await post(srv.url)).toEqual({ status: 200, text: 'hello world' });
    expect(await post(srv.url)).toEqual({ status: 201, text: 'abc' });
    expect(await post(srv.url)).toEqual({ status: 200, text: 'zipped text' });
    expect(srv.connections()).toBe(1); // every framing left the connection reusable
  } finally {
    await srv.close();
  }
});

test('a body to the end of the connection, connection: close and HTTP/1.0 are read whole and not reused; 100 Continue is skipped', async () => {
  const srv = await rawServer((_req, socket, n) => {
    if (n === 1) void dribble(socket, ['HTTP/1.1 200 OK\r\n\r\nuntil ', 'the end']).then(() => socket.end());
    if (n === 2) void dribble(socket, ['HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 4\r\n\r\nfail']);
    if (n === 3) void dribble(socket, ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok']);
    if (n === 4) void dribble(socket, ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes']);
  });
  try {
    expect(await post(srv.url)).toEqual({ status: 200, text: 'until the end' });
    expect(await post(srv.url)).toEqual({ status: 500, text: 'fail' });
    expect(await post(srv.url)).toEqual({ status: 200, text: 'ok' });
    expect(await post(srv.url)).toEqual({ status: 200, text: 'yes' });
    expect(srv.connections()).toBe(4);
  } finally {
    await srv.close();
  }
});

test('a kept-alive connection the server closed while idle: the next call goes out on a new one, once', async () => {
  const srv = await rawServer((_req, socket, n) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n' + String(n));
    if (n === 1) setTimeout(() => socket.end(), 20); // keep-alive timeout of the server
  });
  try {
    expect((await post(srv.url)).text).toBe('1');
    await new Promise((r) => setTimeout(r, 100));
    expect((await post(srv.url)).text).toBe('2');
    expect(srv.connections()).toBe(2);
    // a server that closes a reused connection the moment a request arrives: sent again on a fresh one
    const flaky = await rawServer((_req, socket, n) => {
      if (n === 2) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    try {
      expect((await post(flaky.url)).text).toBe('ok');
      expect((await post(flaky.url)).text).toBe('ok');
      expect(flaky.requests).toHaveLength(3);
      expect(flaky.connections()).toBe(2);
    } finally {
      await flaky.close();
    }
  } finally {
    await srv.close();
  }
});

test('concurrent calls each get a connection, and later calls reuse them', async () => {
  const srv = await rawServer((req, socket) => {
    const id = /"i":(\d+)/.exec(req)![1];
    setTimeout(() => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${id!.length}\r\n\r\n${id}`), 20);
  });
  try {
    const ids = Array.from({ length: 8 }, (_, i) => String(i));
    expect((await Promise.all(ids.map((i) => post(srv.url, `{"i":${i}}`)))).map((r) => r.text)).toEqual(ids);
    expect(srv.connections()).toBe(8);
    expect((await Promise.all(ids.map((i) => post(srv.url, `{"i":${i}}`)))).map((r) => r.text)).toEqual(ids);
    expect(srv.connections()).toBe(8);
  } finally {
    await srv.close();
  }
});

test('an abort rejects with AbortError and closes the connection; a refused connection rejects with its code', async () => {
  let closed = false;
  const srv = await rawServer((_req, socket) => {
    socket.on('close', () => { closed = true; });
  });
  try {
    const controller = new AbortController();
    const call = post(srv.url, '{}', controller.signal);
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
    await expect(post(srv.url, '{}', AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  } finally {
    await srv.close();
  }
  await expect(post(srv.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  await expect(postJson(new URL('ftp://x/'), {}, '', new AbortController().signal)).rejects.toThrow(/unsupported protocol ftp:/);
  await expect(postJson(srv.url, { 'x-bad': 'a\r\nb' }, '', new AbortController().signal)).rejects.toThrow(/line break/);
});

test('a response that is not HTTP, or a connection closed in the middle of a body, is an error with a code', async () => {
  const srv = await rawServer((_req, socket, n) => {
    if (n === 1) socket.end('SSH-2.0-OpenSSH\r\n\r\n');
    if (n === 2) void dribble(socket, ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc']).then(() => socket.destroy());
  });
  try {
    await expect(post(srv.url)).rejects.toMatchObject({ code: 'HPE_INVALID_CONSTANT' });
    await expect(post(srv.url)).rejects.toMatchObject({ code: 'ECONNRESET' });
  } finally {
    await srv.close();
  }
});

test('against node:http servers: keep-alive reuse across calls, large bodies both ways', async () => {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(Buffer.concat(chunks).toString('utf8').toUpperCase())); // chunked when large
  });
  server.on('connection', () => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
  try {
    const big = 'abc'.repeat(400_000);
    for (let i = 0; i < 3; i++) expect((await post(url, big)).text).toBe(big.toUpperCase());
    expect(connections).toBe(1);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
