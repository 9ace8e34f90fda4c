/**
 * Hostile-code suite: every probe of `probes.ts` runs as model code in the real Pyodide sandbox (its own
 * process, permission model, hardening), and the HOST checks that nothing happened:
 * - the canary directory stays empty (no file written, no shell spawned to write it);
 * - the loopback TCP/UDP listener saw no connection and no datagram;
 * - the host's environment canary and the content of a host secret file appear in no output;
 * - the sandbox process has no child process;
 * - the sub-calls the cell result reports equal the calls the host's model received; forged FINALs
 *   are not reported; a cap holds against direct backend calls.
 * A lost session is accepted only for probes marked `mayLoseSession` (it is replaced before the next).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PyodideSandbox, stopAllPyodideSessions } from '../../../lambdas/adapters/pyodide';
import { defaultSnapshotDir } from '../../../lambdas/adapters/pyodide/boot-snapshot';
import type { PyodideSession } from '../../../lambdas/adapters/pyodide';
import type { CellResult } from '../../../lambdas/core/types';
import { FakeSubModel, memoryStore, ref } from '../pyodide-fakes';
import { PROBES, type Probe } from './probes';
import { alive } from '../process-alive';

jest.setTimeout(120_000);

const REPO = path.resolve(__dirname, '../../..');
const JS_HELPERS = fs.readFileSync(path.join(__dirname, 'js-reach.py'), 'utf8');
const ENV_NAME = 'RLM_HOSTILE_CANARY';
const envSecret = `env-canary-${randomBytes(8).toString('hex')}`;
const fileSecret = `file-canary-${randomBytes(8).toString('hex')}`;
let canaryDir = '';
let secretFile = '';
let port = 0;
let tcpConnections = 0;
let udpMessages = 0;
let server: net.Server;
let udp: UdpSocket;

const model = new FakeSubModel(1);
// Sessions restore from the boot snapshot, as the CLI's do (the lockdown runs after the restore).
const sandbox = new PyodideSandbox({
  documents: memoryStore({ 'mem://doc.txt': 'a harmless document' }), subModel: model, memoryLimitMb: 1024, hardKillGraceMs: 3000, snapshotDir: defaultSnapshotDir(),
});
let session: PyodideSession | null = null;
const startedPids: number[] = [];

async function liveSession(): Promise<PyodideSession> {
  if (session && session.live) return session;
  if (session) await session.close();
  const started = await sandbox.start({ runId: 'hostile', documents: [ref('doc.txt')], subModelId: 'fake-sub-model', subConcurrency: 4, maxCaptureChars: 20_000 });
  session = started.session as PyodideSession;
  await session.ready(); // lastStart is known once the session booted
  expect(sandbox.lastStart?.fromSnapshot).toBe(true);
  startedPids.push(session.pid!);
  return session;
}

/** PIDs whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}


function fill(code: string): string {
  return code
    .replace('__JS__', JS_HELPERS)
    .replaceAll('__CANARY__', canaryDir)
    .replaceAll('__PORT__', String(port))
    .replaceAll('__SECRET_FILE__', secretFile)
    .replaceAll('__REPO__', REPO)
    .replaceAll('__ENVNAME__', ENV_NAME);
}

beforeAll(async () => {
  expect(await sandbox.snapshot!.ensure()).toBe(true);
  process.env[ENV_NAME] = envSecret;
  canaryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-hostile-canary-'));
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-hostile-secret-'));
  secretFile = path.join(secretDir, 'secret.txt');
  fs.writeFileSync(secretFile, fileSecret);
  server = net.createServer((sock) => {
    tcpConnections++;
    sock.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  udp = createSocket('udp4');
  udp.on('message', () => udpMessages++);
  await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
});

afterAll(async () => {
  await stopAllPyodideSessions();
  server.close();
  udp.close();
  delete process.env[ENV_NAME];
  fs.rmSync(canaryDir, { recursive: true, force: true });
  fs.rmSync(path.dirname(secretFile), { recursive: true, force: true });
});

describe('the detectors work (so a probe that escapes would be seen)', () => {
  it('sees a host-side connection, datagram and file', async () => {
    await new Promise<void>((resolve) => net.connect(port, '127.0.0.1').on('close', () => resolve()).on('error', () => resolve()));
    const sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.send('x', port, '127.0.0.1', () => resolve()));
    sender.close();
    for (let i = 0; i < 50 && (tcpConnections < 1 || udpMessages < 1); i++) await new Promise((r) => setTimeout(r, 20));
    expect([tcpConnections, udpMessages]).toEqual([1, 1]);
    fs.writeFileSync(path.join(canaryDir, 'probe'), 'x');
    expect(fs.readdirSync(canaryDir)).toEqual(['probe']);
    fs.rmSync(path.join(canaryDir, 'probe'));
    tcpConnections = 0;
    udpMessages = 0;
  });
});

describe('hostile probes', () => {
  it(`has at least 40 probes with unique names (${PROBES.length})`, () => {
    expect(PROBES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(PROBES.map((p) => p.name)).size).toBe(PROBES.length);
  });

  it.each(PROBES.map((p) => [`${p.category}: ${p.name}`, p] as const))('%s', async (_label, probe: Probe) => {
    const s = await liveSession();
    const callsBefore = model.calls.length;
    const results: CellResult[] = [];
    const budget = probe.budget ? { allowedModels: ['fake-sub-model'], ...probe.budget } : undefined;
    for (const code of probe.cells) {
      if (!s.live) break;
      results.push(await s.execute(fill(code), { timeoutMs: 60_000, ...(budget ? { budget } : {}) }));
    }
    // give anything that escaped a moment to land
    await new Promise((r) => setTimeout(r, 100));
    const lost = !s.live;
    const out = results.map((r) => `${r.stdout}\n${r.stderr}\n${r.final?.value ?? ''}`).join('\n');

    expect(fs.readdirSync(canaryDir)).toEqual([]);
    expect({ tcpConnections, udpMessages }).toEqual({ tcpConnections: 0, udpMessages: 0 });
    expect(out).not.toContain(envSecret);
    expect(out).not.toContain(fileSecret);
    if (!lost) expect(childrenOf(s.pid!)).toEqual([]);
    const reportedCalls = results.reduce((n, r) => n + r.sub.calls, 0);
    expect(reportedCalls).toBe(model.calls.length - callsBefore);
    for (const r of results) {
      expect(r.sub.inputTokens).toBeGreaterThanOrEqual(0);
      expect(r.sub.outputTokens).toBeGreaterThanOrEqual(0);
    }
    if (probe.hostCheck === 'no-final') for (const r of results) expect(r.final).toBeUndefined();
    if (probe.hostCheck === 'calls-capped-5') {
      expect(model.calls.length - callsBefore).toBeLessThanOrEqual(5);
      expect(results.at(-1)?.capReached).toMatch(/cap reached/);
    }
    if (lost && !probe.mayLoseSession) throw new Error(`the session was lost: ${s.lost}\n${out}`);
    if (!lost || results.length === probe.cells.length) {
      const last = results.at(-1)!;
      if (!(lost && probe.mayLoseSession)) expect(last.stdout).toMatch(probe.expect);
    }
  });

  it('leaves no sandbox process behind when the sessions stop; the host is untouched', async () => {
    expect(startedPids.length).toBeGreaterThan(0);
    await stopAllPyodideSessions();
    session = null;
    for (const pid of startedPids) expect(alive(pid)).toBe(false);
    expect(fs.readdirSync(canaryDir)).toEqual([]);
  });
});
