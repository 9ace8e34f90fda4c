/**
 * The model adapters' own HTTP/1.1 client over TLS (lambdas/adapters/models/http-post.ts): a real `node:https`
 * server on loopback with a certificate made here by `openssl`; the client runs in a child process so that
 * `NODE_EXTRA_CA_CERTS` (read by Node at start) can trust it. Checks that the certificate is verified (no CA:
 * refused), that SNI/hostname checks pass for `localhost`, and that two calls share one kept-alive connection.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'rlm-tls-'));
let server: https.Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ echoed: body, path: req.url }));
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** Two POSTs from a child process; prints each reply or the error's message and code. */
function callTwice(extraCa: boolean): Promise<string> {
  const script = `
    const { postJson } = require(${JSON.stringify(path.join(repo, 'lambdas/adapters/models/http-post.ts'))});
    (async () => {
      for (const n of [1, 2]) {
        try {
          const r = await postJson(new URL('https://localhost:${port}/v1/chat'), { 'content-type': 'application/json' }, JSON.stringify({ n }), new AbortController().signal);
          console.log(JSON.stringify(r));
        } catch (e) { console.log('ERROR ' + e.code + ' ' + e.message); }
      }
    })();`;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(extraCa ? { NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

test('https: the certificate is verified, and two calls share one connection', async () => {
  const before = connections;
  const out = (await callTwice(true)).trim().split('\n');
  expect(out).toHaveLength(2);
  for (const [i, line] of out.entries()) {
    const reply = JSON.parse(line) as { status: number; text: string };
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ echoed: JSON.stringify({ n: i + 1 }), path: '/v1/chat' });
  }
  expect(connections - before).toBe(1);
}, 60_000);

test('https: a certificate no CA vouches for is refused', async () => {
  const out = (await callTwice(false)).trim().split('\n');
  expect(out).toHaveLength(2);
  for (const line of out) expect(line).toMatch(/^ERROR (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
}, 60_000);
