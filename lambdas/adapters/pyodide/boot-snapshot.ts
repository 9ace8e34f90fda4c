/**
 * Pyodide's memory snapshot, taken once after the prelude ran, so sessions skip most of the boot.
 *
 * A snapshot-maker process (the same locked-down sandbox process, `makeSnapshot` in its init) boots
 * cold, runs the prelude and sends the WebAssembly heap to the host, before any document or model
 * code exists in it. The host writes it to `<dir>/<file>` (atomically: temporary file, then rename); the
 * file name carries the Pyodide version and a hash of the prelude, so a changed prelude or Pyodide never
 * restores a stale heap (Pyodide also refuses a snapshot of another build). Sessions get read access to
 * that one file and restore from it; one that cannot (damaged file) boots cold and the file is dropped.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { PYTHON_PRELUDE } from '../../core/prelude.py';
import type { Logger } from '../../core/ports';
import { silentLogger } from '../../core/ports';
import { DEFAULT_MEMORY_LIMIT_MB, holdProcess, pyodideDir, spawnSandboxProcess } from './sandbox-launch';
import { workerInit } from './session-init';
import type { HostToProcess, SandboxToHost } from './worker-protocol';

/** Bump when the worker's boot before the snapshot point changes in a way the prelude hash does not show. */
export const SNAPSHOT_FORMAT = 1;
/** Pyodide's snapshot magic number (first little-endian uint32); anything else is not written. */
const SNAPSHOT_MAGIC = 1886286592;
/** How long the maker may take before it is stopped. */
const MAKER_TIMEOUT_MS = 180_000;

/**
 * Default folder of the snapshot, shared by every state dir of the user: `$XDG_CACHE_HOME/rlm`, else
 * `~/.cache/rlm` (one snapshot per Pyodide version and prelude; older ones are removed when a new one is written).
 */
export function defaultSnapshotDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'rlm');
}

/** File name of the snapshot for this Pyodide and prelude. */
export function snapshotFileName(prelude: string = PYTHON_PRELUDE): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version = String((require(path.join(pyodideDir(), 'package.json')) as { version: string }).version);
  const hash = createHash('sha256').update(`${SNAPSHOT_FORMAT}\n${version}\n${prelude}`).digest('hex').slice(0, 16);
  return `pyodide-${version}-${hash}.snapshot`;
}

/** Makers running in this process, by snapshot file (one each, however many sandboxes share the folder). */
const makers = new Map<string, Promise<boolean>>();
/** Their processes. */
const makerProcesses = new Set<ChildProcess>();

/** Stop every snapshot maker of this process (a cancelled CLI leaves no process behind; tests). */
export function stopSnapshotMakers(): void {
  for (const child of makerProcesses) child.kill('SIGKILL');
}

/** The boot snapshot in one directory: whether it is there, making it, dropping it. */
export class BootSnapshot {
  /** Absolute path of the snapshot file. */
  readonly file: string;
  private present = false;

  constructor(dir: string, private readonly logger: Logger = silentLogger) {
    this.file = path.join(path.resolve(dir), snapshotFileName());
  }

  /** The file to boot from, or undefined (then the maker is started in the background). */
  available(): string | undefined {
    if (!this.present) this.present = existsSync(this.file);
    if (this.present) return this.file;
    void this.ensure();
    return undefined;
  }

  /** Make the snapshot unless it exists or is being made; resolves true when the file is there. */
  ensure(): Promise<boolean> {
    if (this.present || existsSync(this.file)) return Promise.resolve((this.present = true));
    let making = makers.get(this.file);
    if (!making) {
      making = this.make().finally(() => makers.delete(this.file));
      makers.set(this.file, making);
    }
    return making.then((ok) => (this.present = ok));
  }

  /** Forget a snapshot a session refused (it is made again on the next start). */
  async discard(reason: string): Promise<void> {
    this.logger.warn('pyodide boot snapshot refused; it is made again', { file: this.file, reason });
    this.present = false;
    await fs.rm(this.file, { force: true });
  }

  /** Remove snapshots of other Pyodide versions or preludes from the folder (31 MB each). */
  private async removeOthers(): Promise<void> {
    const dir = path.dirname(this.file);
    const mine = path.basename(this.file);
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      if (name !== mine && /^pyodide-.+\.snapshot$/.test(name)) await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
    }
  }

  private async make(): Promise<boolean> {
    const t0 = Date.now();
    const child = spawnSandboxProcess();
    makerProcesses.add(child);
    child.once('exit', () => makerProcesses.delete(child));
    // Not stopped with the sessions: it finishes in the background; a CLI that is done does not wait for
    // it, and then it ends with the CLI (its IPC channel closes) and a later start makes the snapshot.
    holdProcess(child, false);
    child.stderr?.resume();
    const bytes = await new Promise<Uint8Array | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), MAKER_TIMEOUT_MS);
      timer.unref();
      child.on('message', (msg: SandboxToHost) => {
        if (msg?.type === 'snapshot' && msg.bytes instanceof Uint8Array) (clearTimeout(timer), resolve(msg.bytes));
      });
      child.once('exit', () => (clearTimeout(timer), resolve(null)));
      child.once('error', () => (clearTimeout(timer), resolve(null)));
      const init: HostToProcess = { type: 'init', init: workerInit({ subModelId: 'snapshot', subConcurrency: 1, maxCaptureChars: 1, memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB }, { makeSnapshot: true }) };
      if (child.connected) child.send(init);
    });
    child.kill('SIGKILL');
    if (!bytes || bytes.byteLength < 4096 || new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) !== SNAPSHOT_MAGIC) {
      this.logger.warn('pyodide boot snapshot could not be made; sessions boot cold', { file: this.file });
      return false;
    }
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, this.file);
      await this.removeOthers();
    } catch (err) {
      this.logger.warn('pyodide boot snapshot could not be written; sessions boot cold', { file: this.file, error: (err as Error).message });
      return false;
    }
    this.logger.info('pyodide boot snapshot made', { file: this.file, bytes: bytes.byteLength, ms: Date.now() - t0 });
    return true;
  }
}
