/**
 * One emulated Code Interpreter session: a real, persistent CPython process running twin/agentcore/kernel.py in
 * its own working directory, with exactly the environment the emulator was given (the execution role's
 * credentials, the twin's endpoints, the region) plus PATH. Calls run one at a time, in arrival order.
 * The process is killed at stop, at the session timeout, and by the `kill` fault (the kernel is then restarted
 * empty, as a Jupyter kernel restart leaves it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/** What the kernel reports for one code string. */
export interface KernelReply {
  stdout: string;
  stderr: string;
  isError: boolean;
  exitCode: number;
  /** Seconds. */
  executionTime: number;
}

/** The session has been stopped or timed out (or its kernel could not run). */
export class SessionTerminatedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionTerminatedError';
  }
}

/** Where the kernel source lives (next to this file). */
export const KERNEL_PATH = path.join(__dirname, 'kernel.py');

const LOG_LIMIT = 64 * 1024;

/** A session and its kernel process. */
export class KernelSession {
  status: 'READY' | 'TERMINATED' = 'READY';
  readonly createdAt = new Date();
  lastUpdatedAt = new Date();
  /** The last bytes the kernel wrote to stderr (its log: crashes, fd-1 writes of the code). */
  log = '';
  /** Every code string handed to a kernel of this session, in order (the fault matrix checks no cell ran twice). */
  readonly executed: string[] = [];
  private proc!: ChildProcess;
  private pending: Array<{ resolve: (r: KernelReply) => void; reject: (e: Error) => void }> = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly workdir: string;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly codeInterpreterId: string,
    readonly sessionId: string,
    readonly name: string,
    readonly sessionTimeoutSeconds: number,
    private readonly env: Record<string, string>,
    private readonly python = 'python3',
  ) {
    this.workdir = mkdtempSync(path.join(tmpdir(), `twin-agentcore-${sessionId.slice(0, 8)}-`));
    this.spawnKernel();
    this.timer = setTimeout(() => this.terminate('timed out'), sessionTimeoutSeconds * 1000);
    this.timer.unref();
  }

  /** OS process ID of the current kernel (tests check it is gone after stop). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  private spawnKernel(): void {
    const proc = spawn(this.python, ['-u', KERNEL_PATH], {
      cwd: this.workdir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.workdir, LANG: 'C.UTF-8', PYTHONIOENCODING: 'utf-8', ...this.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc = proc;
    proc.stdin!.on('error', () => undefined);
    proc.stderr!.on('data', (d: Buffer) => { this.log = (this.log + d.toString('utf8')).slice(-LOG_LIMIT); });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const waiter = this.pending.shift();
      if (!waiter) return;
      try {
        waiter.resolve(JSON.parse(line) as KernelReply);
      } catch (err) {
        waiter.reject(new Error(`kernel sent a bad reply: ${(err as Error).message}`));
      }
    });
    proc.on('exit', (code, signal) => {
      if (this.proc !== proc) return;
      const died = new SessionTerminatedError(
        this.status === 'TERMINATED' ? `session ${this.sessionId} was terminated while the code ran`
          : `the kernel of session ${this.sessionId} exited (${signal ?? `code ${code}`}); log: ${this.log.slice(-2000)}`);
      for (const w of this.pending.splice(0)) w.reject(died);
      if (this.status === 'READY') this.terminate('kernel exited');
    });
  }

  /** Runs `code` after any call before it; rejects with {@link SessionTerminatedError} when the session ends first. */
  execute(code: string): Promise<KernelReply> {
    const run = this.queue.then(() => {
      if (this.status !== 'READY') throw new SessionTerminatedError(`session ${this.sessionId} is ${this.status}`);
      this.lastUpdatedAt = new Date();
      this.executed.push(code);
      return new Promise<KernelReply>((resolve, reject) => {
        this.pending.push({ resolve, reject });
        this.proc.stdin!.write(JSON.stringify({ code }) + '\n');
      });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Kills the kernel and starts an empty one (the `kill` fault): the session stays READY, its variables are gone. */
  restartKernel(): void {
    const old = this.proc;
    const waiting = this.pending.splice(0);
    this.spawnKernel();
    old.kill('SIGKILL');
    const died = new SessionTerminatedError(`the kernel of session ${this.sessionId} was killed`);
    for (const w of waiting) w.reject(died);
  }

  /** Stops the session: kills the kernel, removes its working directory. Idempotent. */
  terminate(_why = 'stopped'): void {
    if (this.status === 'TERMINATED') return;
    this.status = 'TERMINATED';
    this.lastUpdatedAt = new Date();
    clearTimeout(this.timer);
    this.proc.kill('SIGKILL');
    rmSync(this.workdir, { recursive: true, force: true });
  }
}
