// The worker's side of the direct host channel: a socket inherited as file descriptor 3 of the sandbox
// process, read and written synchronously by the Pyodide worker (frames: 4-byte little-endian length,
// then UTF-8 JSON; the host side is `host-channel.ts`). Going straight from the worker to the host,
// without the process's main thread in between, keeps the `llm_query` bridge as fast as when the
// worker was a thread of the CLI. Blocking reads are fine: the worker has nothing else to do while
// Python waits, and the host sends an `interrupt` frame to wake a waiting bridge call.
import { Buffer } from 'node:buffer';
import { readSync, writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Open the channel on `fd`. Returns `{ send(obj), receive() }`; `receive` blocks for the next frame. */
export function openChannel(fd) {
  let pending = Buffer.alloc(0);
  const chunk = Buffer.allocUnsafe(1 << 16);

  function retryable(err) {
    return err && (err.code === 'EAGAIN' || err.code === 'EINTR');
  }

  function send(obj) {
    const json = JSON.stringify(obj);
    const frame = Buffer.allocUnsafe(4 + Buffer.byteLength(json, 'utf8'));
    frame.writeUInt32LE(frame.write(json, 4, 'utf8'), 0);
    let off = 0;
    while (off < frame.length) {
      try {
        off += writeSync(fd, frame, off, frame.length - off);
      } catch (err) {
        if (!retryable(err)) throw err;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  }

  function fill(n) {
    while (pending.length < n) {
      let got;
      try {
        got = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        if (!retryable(err)) throw err;
        Atomics.wait(pause, 0, 0, 1);
        continue;
      }
      if (got === 0) throw new Error('the host closed the sandbox channel');
      pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, got)]) : Buffer.from(chunk.subarray(0, got));
    }
  }

  function receive() {
    fill(4);
    const len = pending.readUInt32LE(0);
    fill(4 + len);
    const body = pending.toString('utf8', 4, 4 + len);
    pending = pending.subarray(4 + len);
    return JSON.parse(body);
  }

  return { send, receive };
}
