/**
 * The direct host <-> worker channel: frames written by the host (`host-channel.ts`) are read by the
 * worker's real `sandbox-channel.mjs` in a child process over an inherited socket (fd 3), and back.
 * Covers the binary `sub` / `sub-reply` frames, JSON frames, non-ASCII and large payloads, frames split
 * across reads, and hostile frames (oversized, empty, unknown kind, bad JSON).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Duplex } from 'node:stream';
import { encodeFrame, FrameKind, MAX_FRAME_BYTES, readFrames, writeFrame } from '../../lambdas/adapters/pyodide/host-channel';

const CHANNEL = pathToFileURL(path.join(__dirname, '../../lambdas/adapters/pyodide/sandbox-channel.mjs')).href;
// Echo peer: a sub-reply comes back as a sub frame with the same id and payload; JSON as {echo}.
const PEER = `
const { openChannel } = await import(${JSON.stringify(CHANNEL)});
const ch = openChannel(3);
for (;;) {
  const msg = ch.receive();
  if (msg.type === 'sub-reply') ch.sendSub(msg.id, msg.payload);
  else if (msg.type === 'raw') ch.send(JSON.parse(msg.json));
  else ch.send({ echo: msg });
}`;

function startPeer(): { child: ChildProcess; channel: Duplex; next: () => Promise<unknown>; errors: string[] } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PEER], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  const channel = child.stdio[3] as Duplex;
  const queue: unknown[] = [];
  const waiters: Array<(m: unknown) => void> = [];
  const errors: string[] = [];
  readFrames(channel, (m) => (waiters.length ? waiters.shift()!(m) : queue.push(m)), (reason) => errors.push(reason));
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise<unknown>((r) => waiters.push(r)));
  return { child, channel, next, errors };
}

describe('sandbox channel frames', () => {
  let peer: ReturnType<typeof startPeer>;
  beforeAll(() => {
    peer = startPeer();
  });
  afterAll(() => {
    peer.child.kill('SIGKILL');
  });

  test('a sub-reply travels as a binary frame and comes back as a sub frame, payload intact', async () => {
    const payload = JSON.stringify([{ text: 'héllo wörld ✓ 𝄞 "quoted" \\ back', error: null }]);
    const frame = encodeFrame({ type: 'sub-reply', id: 7, payload });
    expect(frame[4]).toBe(FrameKind.subReply);
    expect(frame.readUInt32LE(5)).toBe(7);
    expect(frame.toString('utf8', 9)).toBe(payload); // raw payload, no JSON envelope
    writeFrame(peer.channel, { type: 'sub-reply', id: 7, payload });
    await expect(peer.next()).resolves.toEqual({ type: 'sub', id: 7, payload });
  });

  test('JSON messages round-trip, including a 3 MB non-ASCII payload split across many reads', async () => {
    writeFrame(peer.channel, { type: 'interrupt', id: 3 });
    await expect(peer.next()).resolves.toEqual({ echo: { type: 'interrupt', id: 3 } });
    const big = 'ü€'.repeat(1_000_000);
    writeFrame(peer.channel, { type: 'sub-reply', id: 4_000_000_000, payload: big });
    const back = (await peer.next()) as { id: number; payload: string };
    expect(back.id).toBe(4_000_000_000);
    expect(back.payload).toBe(big);
    // many frames in one write, then a frame written one byte at a time
    peer.channel.write(Buffer.concat([1, 2, 3].map((id) => encodeFrame({ type: 'sub-reply', id, payload: `p${id}` }))));
    for (const id of [1, 2, 3]) await expect(peer.next()).resolves.toEqual({ type: 'sub', id, payload: `p${id}` });
    const slow = encodeFrame({ type: 'exec', id: 9, code: 'pass', limitS: 1 });
    for (const byte of slow) peer.channel.write(Buffer.from([byte]));
    await expect(peer.next()).resolves.toEqual({ echo: { type: 'exec', id: 9, code: 'pass', limitS: 1 } });
    expect(peer.errors).toEqual([]);
  });
});

describe('hostile frames from the sandbox', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['oversized', Buffer.from([...u32(MAX_FRAME_BYTES + 1), 0]), /frame of \d+ bytes/],
    ['empty', Buffer.from(u32(0)), /empty frame/],
    ['unknown kind', Buffer.from([...u32(2), 9, 0]), /unknown kind 9/],
    ['bad JSON', Buffer.concat([Buffer.from([...u32(3), 0]), Buffer.from('{x')]), /malformed/],
    ['sub without an id', Buffer.from([...u32(3), FrameKind.sub, 1, 2]), /malformed/],
  ];
  test.each(cases)('%s: the reader reports it and stops', async (_name, bytes, reason) => {
    const { PassThrough } = await import('node:stream');
    const stream = new PassThrough();
    const seen: unknown[] = [];
    const errors: string[] = [];
    readFrames(stream, (m) => seen.push(m), (r) => errors.push(r));
    stream.write(bytes);
    stream.write(encodeFrame({ type: 'result', id: 1 })); // ignored after the bad frame
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(reason);
    expect(seen).toEqual([]);
  });
});

function u32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return [...b];
}
