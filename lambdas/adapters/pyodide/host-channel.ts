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
 * Parses frames from chunks as they arrive, calling `onMessage` with each message (`sub` frames as
 * `{ type: 'sub', id, payload }`). A chunk may be a view into a buffer the caller reuses: complete frames
 * are decoded from it in place and only an incomplete tail is copied. A malformed or oversized frame
 * calls `onError` once and stops the reader (the sandbox is not trusted).
 */
export class FrameReader {
  /** Bytes of an incomplete frame (copies), and how many there are. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Length of that frame with its prefix, once the prefix arrived (0: not yet). */
  private need = 0;
  private broken = false;

  constructor(private readonly onMessage: (msg: unknown) => void, private readonly onError: (reason: string) => void) {}

  /** Feed the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.broken || chunk.length === 0) return;
    let buf = chunk;
    if (this.partBytes) {
      // a frame split across reads: collect copies until it is complete, then join once
      this.parts.push(Buffer.from(chunk));
      this.partBytes += chunk.length;
      if (!this.need && this.partBytes >= 4 && !this.learnLength()) return;
      if (!this.need || this.partBytes < this.need) return;
      buf = Buffer.concat(this.parts, this.partBytes);
      this.parts = [];
      this.partBytes = this.need = 0;
    }
    let at = 0;
    while (buf.length - at >= HEAD) {
      const len = buf.readUInt32LE(at);
      if (len > MAX_FRAME_BYTES) return this.fail(`the sandbox sent a frame of ${len} bytes`);
      if (len < 1) return this.fail('the sandbox sent an empty frame');
      const stop = at + 4 + len;
      if (buf.length < stop) break;
      const kind = buf[at + 4];
      let msg: unknown;
      if (kind === FrameKind.sub) {
        if (len < 1 + ID) return this.fail('the sandbox sent a malformed frame');
        msg = { type: 'sub', id: buf.readUInt32LE(at + HEAD), payload: buf.toString('utf8', at + HEAD + ID, stop) };
      } else if (kind === FrameKind.json) {
        try {
          msg = JSON.parse(buf.toString('utf8', at + HEAD, stop));
        } catch {
          return this.fail('the sandbox sent a malformed frame');
        }
      } else {
        return this.fail(`the sandbox sent a frame of unknown kind ${kind}`);
      }
      at = stop;
      this.onMessage(msg);
      if (this.broken) return;
    }
    if (at < buf.length) {
      // keep the incomplete tail (a copy when `chunk` is the caller's, possibly reused, buffer)
      const rest = buf === chunk ? Buffer.from(buf.subarray(at)) : buf.subarray(at);
      this.parts = [rest];
      this.partBytes = rest.length;
      if (rest.length >= 4) this.learnLength();
    }
  }

  /** Read the pending frame's length from its prefix; false (and the reader stopped) when it is refused. */
  private learnLength(): boolean {
    const head = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    this.parts = [head];
    const len = head.readUInt32LE(0);
    if (len > MAX_FRAME_BYTES) {
      this.fail(`the sandbox sent a frame of ${len} bytes`);
      return false;
    }
    if (len < 1) {
      this.fail('the sandbox sent an empty frame');
      return false;
    }
    this.need = 4 + len;
    return true;
  }

  private fail(reason: string): void {
    this.broken = true;
    this.parts = [];
    this.partBytes = this.need = 0;
    this.onError(reason);
  }
}

/**
 * Read frames from `stream` (a `FrameReader` on its `'data'` events); `onError` on a malformed or
 * oversized frame, after which reading stops.
 */
export function readFrames(stream: Readable, onMessage: (msg: unknown) => void, onError: (reason: string) => void): void {
  const reader = new FrameReader(onMessage, onError);
  stream.on('data', (chunk: Buffer) => reader.push(chunk));
}

/** Write one frame (ignored once the stream is gone). */
export function writeFrame(stream: Writable, message: unknown): void {
  if (stream.destroyed || !stream.writable) return;
  stream.write(encodeFrame(message));
}
