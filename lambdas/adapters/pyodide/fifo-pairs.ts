/**
 * FIFO pairs for the direct host <-> worker channel (`host-link.ts`). A pipe wakes the other process
 * for less CPU than the socket pair Node's `stdio: 'pipe'` gives (on the 2-core VM this was measured on:
 * a bare one-frame ping-pong between two processes took ~25% less CPU on each side), and Node cannot make
 * an anonymous pipe, so the host makes named ones: `mkfifo` (one process for several pairs, run in the
 * background) in a private 0700 temporary directory. Taking a pair opens both FIFOs on the host and
 * unlinks them at once: the sandbox process inherits its two ends as file descriptors and needs no file
 * system permission for them, and nothing else can open them afterwards.
 *
 * Where `mkfifo` is missing or fails, {@link FifoPairs.take} returns undefined and the caller uses the
 * socket pair (the same frames, one descriptor for both directions).
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The four descriptors of one pair, opened in the host. */
export interface FifoPair {
  /** Host -> sandbox: the host's write end (non-blocking). */
  hostWrite: number;
  /** Host -> sandbox: the sandbox's read end (blocking: the worker waits in `read`). */
  childRead: number;
  /** Sandbox -> host: the host's read end (non-blocking, read by the event loop). */
  hostRead: number;
  /** Sandbox -> host: the sandbox's write end (blocking). */
  childWrite: number;
}

/** Pairs made by one `mkfifo` run. */
export const PAIRS_PER_BATCH = 4;
/**
 * Longest a start without a warm spare waits for the pairs being made (only the first start of a process
 * can find none ready) before it takes the socket instead. The wait delays that start: a few ms on an idle
 * machine, up to this bound under heavy load (where `mkfifo` took 130-400 ms to run).
 */
export const FIFO_WAIT_MS = 100;
/** A `mkfifo` run taking longer than this counts as failed (sessions then use the socket). */
const MKFIFO_TIMEOUT_MS = 10_000;

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = constants;

/** Open one FIFO at `file` as a non-blocking end for the host and a blocking end for the child, then unlink it. */
function openFifo(file: string, hostEnd: 'read' | 'write'): { host: number; child: number } {
  // O_NONBLOCK belongs to the open file description, so each side opens its own. The order never blocks:
  // a non-blocking reader first, then the writer (a reader exists), then the blocking end (the other exists).
  if (hostEnd === 'read') {
    const host = openSync(file, O_RDONLY | O_NONBLOCK);
    try {
      return { host, child: openSync(file, O_WRONLY) };
    } catch (err) {
      closeSync(host);
      throw err;
    }
  }
  const probe = openSync(file, O_RDONLY | O_NONBLOCK);
  try {
    const host = openSync(file, O_WRONLY | O_NONBLOCK);
    try {
      return { host, child: openSync(file, O_RDONLY) };
    } catch (err) {
      closeSync(host);
      throw err;
    }
  } finally {
    closeSync(probe);
  }
}

/** Made FIFO pairs waiting to be taken, refilled in the background. One per process ({@link fifoPairs}). */
export class FifoPairs {
  private dir: string | null = null;
  private ready: string[] = [];
  private making: Promise<void> | null = null;
  private broken = false;
  private cleanupInstalled = false;

  constructor(private readonly mkfifo = 'mkfifo', private readonly tmpRoot = os.tmpdir()) {}

  /** False once `mkfifo` failed in this process (every session then uses the socket). */
  get available(): boolean {
    return !this.broken;
  }

  /** Make pairs in the background unless some are ready or being made. Resolves when that run ended. */
  prefetch(): Promise<void> {
    if (this.broken) return Promise.resolve();
    if (this.making) return this.making;
    if (this.ready.length > 1) return Promise.resolve();
    const run = this.make().catch(() => {
      this.broken = true;
    });
    this.making = run.finally(() => {
      this.making = null;
    });
    return this.making;
  }

  private async make(): Promise<void> {
    this.installCleanup();
    const dir = (this.dir ??= mkdtempSync(path.join(this.tmpRoot, 'rlm-channel-')));
    const base = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const names = Array.from({ length: PAIRS_PER_BATCH }, (_, i) => `${base}-${i}`);
    const files = names.flatMap((n) => [path.join(dir, `${n}.in`), path.join(dir, `${n}.out`)]);
    await new Promise<void>((resolve, reject) => {
      execFile(this.mkfifo, ['-m', '600', ...files], { env: {}, timeout: MKFIFO_TIMEOUT_MS, windowsHide: true }, (err) => (err ? reject(err) : resolve()));
    });
    this.ready.push(...names);
  }

  /**
   * A pair opened in the host (its FIFOs already unlinked), or undefined when none is ready (then a
   * refill starts). The caller passes `childRead` / `childWrite` to the sandbox process and closes them.
   */
  take(): FifoPair | undefined {
    const name = this.ready.shift();
    if (this.ready.length <= 1) void this.prefetch();
    if (!name || !this.dir) return undefined;
    const inbound = path.join(this.dir, `${name}.in`);
    const outbound = path.join(this.dir, `${name}.out`);
    let toChild: { host: number; child: number } | undefined;
    try {
      toChild = openFifo(inbound, 'write');
      const fromChild = openFifo(outbound, 'read');
      return { hostWrite: toChild.host, childRead: toChild.child, hostRead: fromChild.host, childWrite: fromChild.child };
    } catch {
      if (toChild) for (const fd of [toChild.host, toChild.child]) closeSync(fd);
      return undefined;
    } finally {
      for (const f of [inbound, outbound]) {
        try {
          unlinkSync(f);
        } catch {
          // already gone
        }
      }
    }
  }

  /** Wait (at most `ms`) for a pair being made; true when one is ready. */
  async waitReady(ms: number): Promise<boolean> {
    if (this.ready.length) return true;
    const making = this.prefetch();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([making, new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
    return this.ready.length > 0;
  }

  /** Remove the directory and the FIFOs not taken (also at process exit). */
  dispose(): void {
    this.ready = [];
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  /** Names of the files in the private directory (tests). */
  files(): string[] {
    return this.dir ? readdirSync(this.dir) : [];
  }

  private installCleanup(): void {
    if (this.cleanupInstalled) return;
    this.cleanupInstalled = true;
    process.once('exit', () => this.dispose());
  }
}

let shared: FifoPairs | undefined;
/** The process's FIFO pairs (one private directory per CLI process). */
export function fifoPairs(): FifoPairs {
  return (shared ??= new FifoPairs());
}
