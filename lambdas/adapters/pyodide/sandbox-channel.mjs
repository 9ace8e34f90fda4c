// The worker's side of the direct host channel: a FIFO pair inherited as file descriptors 3 (read) and 4
// (write) of the sandbox process, or one socket as fd 3 (host-link.ts chooses), read and written
// synchronously by the Pyodide worker (the host side is `host-channel.ts`,
// which documents the frame layout). Going straight from the worker to the host, without the process's
// main thread in between, keeps the `llm_query` bridge fast. Blocking reads are fine: the worker has
// nothing else to do while Python waits, and the host sends an `interrupt` frame to wake a waiting
// bridge call.
//
// The hot path of a sequential `llm_query` is one `sub` frame out and one `sub-reply` frame in: both
// are binary (id + raw UTF-8 payload, no JSON envelope), encoded into and decoded from buffers reused
// across calls, so a round trip costs one write and one read system call and no extra copies.
import { Buffer } from 'node:buffer';
import { readSync, writeSync } from 'node:fs';

/** Frame kinds (the byte after the length; must match `host-channel.ts`). */
export const KIND_JSON = 0;
export const KIND_SUB = 1;
export const KIND_SUB_REPLY = 2;
/** Bytes of the length prefix and of the kind. */
const HEAD = 5;
/** Bytes of the id in `sub` / `sub-reply` frames. */
const ID = 4;
/** Buffers above this size are not kept between frames. */
const KEEP_BYTES = 1 << 20;

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Open the channel: read frames from `fd`, write them to `writeFd` (the same descriptor for a socket).
 * Returns `{ send(obj), sendSub(id, payload), receive() }`; `receive`
 * blocks for the next frame and returns a message object (`sub-reply` frames as
 * `{ type: 'sub-reply', id, payload }`).
 */
export function openChannel(fd, writeFd = fd) {
  let out = Buffer.allocUnsafe(1 << 16);
  let input = Buffer.allocUnsafe(1 << 16);
  let start = 0;
  let end = 0;

  const retryable = (err) => err && (err.code === 'EAGAIN' || err.code === 'EINTR');

  function writeAll(buf, len) {
    let off = 0;
    while (off < len) {
      try {
        off += writeSync(writeFd, buf, off, len - off);
      } catch (err) {
        if (!retryable(err)) throw err;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  }

  function frame(kind, id, text) {
    const at = kind === KIND_JSON ? HEAD : HEAD + ID;
    // UTF-8 needs at most 3 bytes per UTF-16 code unit; size exactly only when that bound is large.
    const bound = at + text.length * 3;
    let buf = out;
    if (bound > buf.length) {
      const need = bound <= KEEP_BYTES ? bound : at + Buffer.byteLength(text, 'utf8');
      buf = Buffer.allocUnsafe(need);
      if (need <= KEEP_BYTES) out = buf;
    }
    const n = buf.write(text, at, 'utf8');
    buf.writeUInt32LE(at - 4 + n, 0);
    buf[4] = kind;
    if (kind !== KIND_JSON) buf.writeUInt32LE(id >>> 0, HEAD);
    writeAll(buf, at + n);
  }

  /** Make room for a frame of `total` bytes starting at `start`. */
  function ensure(total) {
    if (start + total <= input.length) return;
    const unread = end - start;
    if (total <= input.length && start > 0) {
      input.copy(input, 0, start, end);
    } else {
      const grown = Buffer.allocUnsafe(Math.max(total, input.length));
      input.copy(grown, 0, start, end);
      input = grown;
    }
    start = 0;
    end = unread;
  }

  /** Block until at least `n` unread bytes are buffered. */
  function fill(n) {
    while (end - start < n) {
      ensure(n);
      let got;
      try {
        got = readSync(fd, input, end, input.length - end, null);
      } catch (err) {
        if (!retryable(err)) throw err;
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      if (got === 0) throw new Error('the host closed the sandbox channel');
      end += got;
    }
  }

  /** The next frame (blocks until it is complete). */
  function receive() {
    fill(HEAD);
    const len = input.readUInt32LE(start);
    if (len < 1) throw new Error('the host sent an empty frame');
    fill(4 + len);
    const kind = input[start + 4];
    const stop = start + 4 + len;
    let msg;
    if (kind === KIND_SUB_REPLY) {
      msg = { type: 'sub-reply', id: input.readUInt32LE(start + HEAD), payload: input.toString('utf8', start + HEAD + ID, stop) };
    } else {
      msg = JSON.parse(input.toString('utf8', start + HEAD, stop));
    }
    start = stop;
    if (start === end) {
      start = end = 0;
      if (input.length > KEEP_BYTES) input = Buffer.allocUnsafe(1 << 16);
    }
    return msg;
  }

  return {
    send: (obj) => frame(KIND_JSON, 0, JSON.stringify(obj)),
    sendSub: (id, payload) => frame(KIND_SUB, id, payload),
    receive,
  };
}
