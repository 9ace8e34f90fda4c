/**
 * The host's side of the direct channel to a sandbox worker (see `sandbox-channel.mjs`): frames of a
 * 4-byte little-endian length and UTF-8 JSON over the socket the sandbox process inherits as fd 3.
 * Exec requests, sub-call requests and replies, interrupts, FINAL and cell results travel here;
 * start-up (settings, documents) goes over Node IPC.
 */
import type { Readable, Writable } from 'node:stream';

/** Encode one frame. */
export function encodeFrame(message: unknown): Buffer {
  const json = JSON.stringify(message);
  const frame = Buffer.allocUnsafe(4 + Buffer.byteLength(json, 'utf8'));
  const len = frame.write(json, 4, 'utf8');
  frame.writeUInt32LE(len, 0);
  return frame;
}

/** Largest frame the host accepts from a sandbox (a cell report is at most a few MB). */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

/**
 * Read frames from `stream`, calling `onMessage` with each parsed message. A malformed or oversized
 * frame calls `onError` and stops reading (the sandbox is not trusted).
 */
export function readFrames(stream: Readable, onMessage: (msg: unknown) => void, onError: (reason: string) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  let broken = false;
  stream.on('data', (chunk: Buffer) => {
    if (broken) return;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 4) {
      const len = pending.readUInt32LE(0);
      if (len > MAX_FRAME_BYTES) {
        broken = true;
        onError(`the sandbox sent a frame of ${len} bytes`);
        return;
      }
      if (pending.length < 4 + len) return;
      const body = pending.toString('utf8', 4, 4 + len);
      pending = pending.subarray(4 + len);
      let msg: unknown;
      try {
        msg = JSON.parse(body);
      } catch {
        broken = true;
        onError('the sandbox sent a malformed frame');
        return;
      }
      onMessage(msg);
    }
  });
}

/** Write one frame (ignored once the stream is gone). */
export function writeFrame(stream: Writable, message: unknown): void {
  if (stream.destroyed || !stream.writable) return;
  stream.write(encodeFrame(message));
}
