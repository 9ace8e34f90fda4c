/**
 * The host's end of the direct channel to one sandbox worker: a FIFO pair (`fifo-pairs.ts`) when one is
 * ready, else the socket pair of `stdio: 'pipe'`. Frames are those of `host-channel.ts`.
 *
 * The hot path is one `sub` frame in and one `sub-reply` frame out per `llm_query`, so both ends skip
 * Node's stream machinery where they can:
 * - reading: a FIFO is read with `onread` into one reused buffer (no 64 KiB buffer per read, no
 *   `'data'` event), frames parsed in place (`FrameReader`);
 * - writing: a frame goes out with one `writeSync` on the non-blocking descriptor in the same tick it is
 *   ready; only what does not fit (a full pipe, a partial write) is queued on a stream, and every later
 *   frame follows it there until the queue is empty, so the order holds.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { encodeFrame, FrameReader } from './host-channel';
import { fifoPairs, type FifoPair } from './fifo-pairs';

/** Descriptors the worker reads and writes (`init.channel`). */
export interface WorkerChannelFds {
  read: number;
  write: number;
}

/** Size of the reused read buffer of a FIFO channel. */
const READ_BUFFER_BYTES = 64 * 1024;

type Refable = { ref(): unknown; unref(): unknown };

/** One session's channel. Create it, spawn with {@link stdio}, then {@link attach} the child. */
export class HostLink {
  /** `stdio` entries from fd 3 of the sandbox process: the two FIFO ends, or one socket (IPC goes after them). */
  readonly stdio: Array<'pipe' | number>;
  /** Descriptors of the channel in the sandbox process. */
  readonly workerFds: WorkerChannelFds;
  /** Which transport this session got. */
  readonly kind: 'fifo' | 'socket';
  private reader: net.Socket | Duplex | null = null;
  private writer: net.Socket | Duplex | null = null;
  private writeFd = -1;
  private readonly frames: FrameReader;
  private closed = false;

  /** Over `fifo` (a pair from {@link fifoPairs}, see {@link HostLink.forSession}), or the socket pair when it is undefined. */
  constructor(onMessage: (msg: unknown) => void, onError: (reason: string) => void, private fifo: FifoPair | undefined) {
    this.frames = new FrameReader(onMessage, onError);
    this.kind = this.fifo ? 'fifo' : 'socket';
    this.stdio = this.fifo ? [this.fifo.childRead, this.fifo.childWrite] : ['pipe'];
    this.workerFds = this.fifo ? { read: 3, write: 4 } : { read: 3, write: 3 };
  }

  /** A session's link: over a ready pair of the process's FIFO pairs, else the socket pair. */
  static forSession(onMessage: (msg: unknown) => void, onError: (reason: string) => void): HostLink {
    return new HostLink(onMessage, onError, fifoPairs().take());
  }

  /** Take the host's ends once the process was spawned (closes the host's copies of the child's FIFO ends). */
  attach(child: ChildProcess): void {
    const fifo = this.fifo;
    if (!fifo) {
      const socket = child.stdio[3] as net.Socket;
      socket.on('error', () => undefined); // the process's exit is reported by 'exit'
      socket.on('data', (chunk: Buffer) => this.frames.push(chunk));
      this.reader = this.writer = socket;
      this.writeFd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
      return;
    }
    this.fifo = undefined;
    for (const fd of [fifo.childRead, fifo.childWrite]) closeSync(fd);
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const reader = new net.Socket({
      fd: fifo.hostRead, readable: true, writable: false,
      onread: { buffer, callback: (n: number, buf: Buffer) => {
        this.frames.push(buf.subarray(0, n));
        return true;
      } },
    } as net.SocketConstructorOpts);
    reader.on('error', () => undefined);
    const writer = new net.Socket({ fd: fifo.hostWrite, readable: false, writable: true });
    writer.on('error', () => undefined);
    this.reader = reader;
    this.writer = writer;
    this.writeFd = fifo.hostWrite;
  }

  /** Send one message (dropped once the channel is closed or the process is gone). */
  send(message: unknown): void {
    const writer = this.writer;
    if (this.closed || !writer || writer.destroyed || !writer.writable) return;
    const frame = encodeFrame(message);
    let off = 0;
    if (this.writeFd >= 0 && writer.writableLength === 0) {
      try {
        off = writeSync(this.writeFd, frame);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // EPIPE and the like: the process is gone, which its 'exit' reports (as the stream's errors are ignored)
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') return;
      }
      if (off === frame.length) return;
    }
    writer.write(off ? frame.subarray(off) : frame);
  }

  /** Whether the channel keeps the event loop alive (only while a start or a cell is in progress). */
  hold(on: boolean): void {
    for (const h of new Set([this.reader, this.writer])) {
      const r = h as unknown as Partial<Refable> | null;
      (on ? r?.ref : r?.unref)?.call(r);
    }
  }

  /** Close the host's ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fifo) for (const fd of Object.values(this.fifo)) closeSync(fd);
    this.fifo = undefined;
    this.reader?.destroy();
    this.writer?.destroy();
  }
}
