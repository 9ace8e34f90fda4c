/**
 * The host's side of the direct channel to a sandbox worker (see `sandbox-channel.mjs`), over the
 * socket the sandbox process inherits as fd 3. Exec requests, sub-call requests and replies,
 * interrupts, FINAL and cell results travel here; start-up (settings, documents) goes over Node IPC.
 *
 * A frame is a 4-byte little-endian length `n`, then `n` bytes: one kind byte and the body.
 * - kind 0: any message as UTF-8 JSON;
 * - kind 1 (`sub`, sandbox -> host) and kind 2 (`sub-reply`, host -> sandbox): a 4-byte little-endian
 *   id, then the payload as raw UTF-8 (the JSON the prelude's backend reads and writes). These two
 *   carry every `llm_query`, so they skip the JSON envelope (and its escaping of the payload).
 */
import type { Readable, Writable } from 'node:stream';

/** Frame kinds (the byte after the length; must match `sandbox-channel.mjs`). */
export const FrameKind = { json: 0, sub: 1, subReply: 2 } as const;

const HEAD = 5;
const ID = 4;

/** Largest frame the host accepts from a sandbox (a cell report is at most a few MB). */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

function frameOf(kind: number, id: number, text: string): Buffer {
  const at = kind === FrameKind.json ? HEAD : HEAD + ID;
  const frame = Buffer.allocUnsafe(at + Buffer.byteLength(text, 'utf8'));
  const n = frame.write(text, at, 'utf8');
  frame.writeUInt32LE(at - 4 + n, 0);
  frame[4] = kind;
  if (kind !== FrameKind.json) frame.writeUInt32LE(id >>> 0, HEAD);
  return frame;
}

/** Encode one message: `sub-reply` (with a string payload) as a binary frame, anything else as JSON. */
export function encodeFrame(message: unknown): Buffer {
  const m = message as { type?: unknown; id?: unknown; payload?: unknown };
  if (m && m.type === 'sub-reply' && typeof m.payload === 'string' && typeof m.id === 'number') {
    return frameOf(FrameKind.subReply, m.id, m.payload);
  }
  return frameOf(FrameKind.json, 0, JSON.stringify(message));
}

/**
 * Read frames from `stream`, calling `onMessage` with each message (`sub` frames as
 * `{ type: 'sub', id, payload }`). A malformed or oversized frame calls `onError` and stops reading
 * (the sandbox is not trusted).
 */
export function readFrames(stream: Readable, onMessage: (msg: unknown) => void, onError: (reason: string) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  let broken = false;
  const fail = (reason: string) => {
    broken = true;
    pending = Buffer.alloc(0);
    onError(reason);
  };
  stream.on('data', (chunk: Buffer) => {
    if (broken) return;
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (pending.length - at >= HEAD) {
      const len = pending.readUInt32LE(at);
      if (len > MAX_FRAME_BYTES) return fail(`the sandbox sent a frame of ${len} bytes`);
      if (len < 1) return fail('the sandbox sent an empty frame');
      const stop = at + 4 + len;
      if (pending.length < stop) break;
      const kind = pending[at + 4];
      let msg: unknown;
      if (kind === FrameKind.sub) {
        if (len < 1 + ID) return fail('the sandbox sent a malformed frame');
        msg = { type: 'sub', id: pending.readUInt32LE(at + HEAD), payload: pending.toString('utf8', at + HEAD + ID, stop) };
      } else if (kind === FrameKind.json) {
        try {
          msg = JSON.parse(pending.toString('utf8', at + HEAD, stop));
        } catch {
          return fail('the sandbox sent a malformed frame');
        }
      } else {
        return fail(`the sandbox sent a frame of unknown kind ${kind}`);
      }
      at = stop;
      onMessage(msg);
      if (broken) return;
    }
    pending = at === 0 ? pending : pending.subarray(at);
  });
}

/** Write one frame (ignored once the stream is gone). */
export function writeFrame(stream: Writable, message: unknown): void {
  if (stream.destroyed || !stream.writable) return;
  stream.write(encodeFrame(message));
}
