/**
 * The FIFO transport of the direct host <-> worker channel (`fifo-pairs.ts`, `host-link.ts`): pairs are
 * made in a private directory and unlinked when taken; a real child running the worker's
 * `sandbox-channel.mjs` on the inherited descriptors exchanges frames with the host's `HostLink`,
 * including payloads far larger than a pipe's buffer (the host's direct write is partial and the rest
 * goes through the stream, in order); without `mkfifo` the link falls back to the socket pair.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FifoPairs, fifoPairs } from '../../lambdas/adapters/pyodide/fifo-pairs';
import { HostLink } from '../../lambdas/adapters/pyodide/host-link';
import { PyodideSandbox } from '../../lambdas/adapters/pyodide';
import { FakeSubModel, memoryStore, ref } from './pyodide-fakes';

const CHANNEL = pathToFileURL(path.join(__dirname, '../../lambdas/adapters/pyodide/sandbox-channel.mjs')).href;
// Echo peer on the descriptors given in argv: a sub-reply comes back as a sub frame; JSON as {echo}.
const PEER = `
const { openChannel } = await import(${JSON.stringify(CHANNEL)});
const ch = openChannel(Number(process.argv[1]), Number(process.argv[2]));
for (;;) {
  const msg = ch.receive();
  if (msg.type === 'sub-reply') ch.sendSub(msg.id, msg.payload);
  else ch.send({ echo: msg });
}`;

interface Peer {
  child: ChildProcess;
  link: HostLink;
  next: () => Promise<unknown>;
  errors: string[];
  /** The host's descriptors of the pair (when it got one). */
  hostFds: number[];
}

function startPeer(pairs: FifoPairs): Peer {
  const queue: unknown[] = [];
  const waiters: Array<(m: unknown) => void> = [];
  const errors: string[] = [];
  const pair = pairs.take();
  const link = new HostLink((m) => (waiters.length ? waiters.shift()!(m) : queue.push(m)), (r) => errors.push(r), pair);
  const { read, write } = link.workerFds;
  const child = spawn(process.execPath, ['--input-type=module', '-e', PEER, String(read), String(write)], { stdio: ['ignore', 'ignore', 'inherit', ...link.stdio] });
  link.attach(child);
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise<unknown>((r) => waiters.push(r)));
  return { child, link, next, errors, hostFds: pair ? [pair.hostRead, pair.hostWrite, pair.childRead, pair.childWrite] : [] };
}

/** What descriptor `fd` of process `pid` is (its /proc link), or 'closed'. */
const fdLink = (fd: number, pid: number | string = 'self') => {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return 'closed';
  }
};
/** Whether `fd` is an open FIFO whose name was already removed. */
const isUnlinkedFifo = (fd: number, pid: number | string = 'self') => fdLink(fd, pid).endsWith(' (deleted)') && statSync(`/proc/${pid}/fd/${fd}`).isFIFO();

describe('FIFO pairs', () => {
  test('are made in a private directory and unlinked when taken; dispose removes the rest', async () => {
    const pairs = new FifoPairs();
    await pairs.prefetch();
    expect(pairs.available).toBe(true);
    const before = pairs.files();
    expect(before.length).toBeGreaterThanOrEqual(2);
    const dir = path.dirname(path.join((pairs as unknown as { dir: string }).dir, 'x'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of before) expect(statSync(path.join(dir, f)).isFIFO()).toBe(true);
    const pair = pairs.take()!;
    expect(pair).toBeDefined();
    expect(pairs.files()).toHaveLength(before.length - 2); // nothing left to open by name
    for (const fd of Object.values(pair)) expect(isUnlinkedFifo(fd)).toBe(true);
    const link = new HostLink(() => undefined, () => undefined, pair);
    link.close(); // closes all four descriptors of a pair never attached
    for (const fd of Object.values(pair)) expect(fdLink(fd)).toBe('closed');
    pairs.dispose();
    expect(() => statSync(dir)).toThrow();
  });

  test('without mkfifo nothing is made and the link uses the socket pair', async () => {
    const pairs = new FifoPairs('/nonexistent/mkfifo');
    await pairs.prefetch();
    expect(pairs.available).toBe(false);
    expect(pairs.take()).toBeUndefined();
    const peer = startPeer(pairs);
    try {
      expect(peer.link.kind).toBe('socket');
      peer.link.send({ type: 'sub-reply', id: 5, payload: 'über' });
      await expect(peer.next()).resolves.toEqual({ type: 'sub', id: 5, payload: 'über' });
    } finally {
      peer.child.kill('SIGKILL');
      peer.link.close();
      pairs.dispose();
    }
  });
});

describe('HostLink over a FIFO pair with the real worker channel', () => {
  const pairs = new FifoPairs();
  let peer: Peer;
  beforeAll(async () => {
    await pairs.prefetch();
    peer = startPeer(pairs);
  });
  afterAll(() => {
    peer.child.kill('SIGKILL');
    pairs.dispose();
  });

  test('the child gets the two pipe ends as fds 3 and 4; the host closed its copies of them', () => {
    expect(peer.link.kind).toBe('fifo');
    expect(peer.link.workerFds).toEqual({ read: 3, write: 4 });
    const pid = peer.child.pid!;
    expect([isUnlinkedFifo(3, pid), isUnlinkedFifo(4, pid)]).toEqual([true, true]);
    expect(fdLink(3, pid)).not.toBe(fdLink(4, pid));
    const [hostRead, hostWrite, childRead, childWrite] = peer.hostFds as [number, number, number, number];
    expect(fdLink(hostWrite)).toBe(fdLink(3, pid)); // host -> child
    expect(fdLink(hostRead)).toBe(fdLink(4, pid)); // child -> host
    // the child's ends were closed in the host after the spawn (a number may have been reused since)
    expect(fdLink(childRead)).not.toBe(fdLink(3, pid));
    expect(fdLink(childWrite)).not.toBe(fdLink(4, pid));
  });

  test('frames round-trip: sub-reply, JSON, 3 MB and 300 KB payloads queued behind a full pipe, in order', async () => {
    peer.link.send({ type: 'sub-reply', id: 7, payload: 'héllo ✓ 𝄞' });
    await expect(peer.next()).resolves.toEqual({ type: 'sub', id: 7, payload: 'héllo ✓ 𝄞' });
    peer.link.send({ type: 'interrupt', id: 3 });
    await expect(peer.next()).resolves.toEqual({ echo: { type: 'interrupt', id: 3 } });
    const big = 'ü€'.repeat(1_000_000);
    const mid = 'x'.repeat(300_000);
    // the first write fills the pipe; everything after it must wait behind it, not overtake it
    peer.link.send({ type: 'sub-reply', id: 1, payload: big });
    peer.link.send({ type: 'sub-reply', id: 2, payload: 'small' });
    peer.link.send({ type: 'sub-reply', id: 3, payload: mid });
    const got = [await peer.next(), await peer.next(), await peer.next()] as Array<{ id: number; payload: string }>;
    expect(got.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(got[0]!.payload).toBe(big);
    expect(got[1]!.payload).toBe('small');
    expect(got[2]!.payload).toBe(mid);
    expect(peer.errors).toEqual([]);
  });

  test('after the child died, closing the link closes the host ends and later sends are dropped', async () => {
    const exited = new Promise((r) => peer.child.once('exit', r));
    peer.child.kill('SIGKILL');
    await exited;
    peer.link.close();
    peer.link.send({ type: 'interrupt', id: 1 }); // ignored, no throw
    await new Promise((r) => setTimeout(r, 50));
    const [hostRead, hostWrite] = peer.hostFds as [number, number];
    expect([fdLink(hostRead), fdLink(hostWrite)]).toEqual(['closed', 'closed']);
  });
});

describe('a real Pyodide session on the FIFO channel', () => {
  test('its fds 3 and 4 are the two unlinked FIFO ends; llm_query works over them, with a non-ASCII prompt and model', async () => {
    const model = new FakeSubModel(0);
    // pairs ready before the start, however slow mkfifo is on a loaded machine (a start waits only 100 ms)
    expect(await fifoPairs().waitReady(30_000)).toBe(true);
    const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://d.txt': 'doc' }), subModel: model });
    const { session } = await sandbox.start({ runId: 'fifo', documents: [ref('d.txt')], subModelId: 'tiny', allowedModels: ['tiny', 'mödel'], subConcurrency: 4, maxCaptureChars: 10_000 });
    try {
      const r = await session.execute("print(llm_query('héllo 𝄞'), llm_query('x', model='mödel'), llm_query('y', model='nope')[:6])", { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('echo:héllo 𝄞 echo:x Error:\n');
      expect(model.calls.map((c) => c.modelId)).toEqual(['tiny', 'mödel']);
      expect(r.sub.calls).toBe(2);
      const pid = (session as { pid?: number }).pid!;
      expect([isUnlinkedFifo(3, pid), isUnlinkedFifo(4, pid)]).toEqual([true, true]);
    } finally {
      await sandbox.closeAll();
    }
  }, 120_000);
});
