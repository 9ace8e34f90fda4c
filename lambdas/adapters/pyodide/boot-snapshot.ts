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
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { PYTHON_PRELUDE } from '../../core/prelude.py';
import type { Logger } from '../../core/ports';
import { silentLogger } from '../../core/ports';
import { DEFAULT_MEMORY_LIMIT_MB, pyodideDir, spawnSandboxProcess } from './sandbox-launch';
import { workerInit } from './session-init';
import type { HostToProcess, SandboxToHost } from './worker-protocol';

/** Bump when the worker's boot before the snapshot point changes in a way the prelude hash does not show. */
export const SNAPSHOT_FORMAT = 1;
/** Pyodide's snapshot magic number (first little-endian uint32); anything else is not written. */
const SNAPSHOT_MAGIC = 1886286592;
/** How long the maker may take before it is stopped. */
const MAKER_TIMEOUT_MS = 180_000;

/** File name of the snapshot for this Pyodide and prelude. */
export function snapshotFileName(prelude: string = PYTHON_PRELUDE): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version = String((require(path.join(pyodideDir(), 'package.json')) as { version: string }).version);
  const hash = createHash('sha256').update(`${SNAPSHOT_FORMAT}\n${version}\n${prelude}`).digest('hex').slice(0, 16);
  return `pyodide-${version}-${hash}.snapshot`;
}

/** The boot snapshot in one directory: whether it is there, making it, dropping it. */
export class BootSnapshot {
  /** Absolute path of the snapshot file. */
  readonly file: string;
  private present = false;
  private making: Promise<boolean> | null = null;
  private maker: ChildProcess | null = null;

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
    this.making ??= this.make().then((ok) => {
      this.present = ok;
      this.making = null;
      return ok;
    });
    return this.making;
  }

  /** Forget a snapshot a session refused (it is made again on the next start). */
  async discard(reason: string): Promise<void> {
    this.logger.warn('pyodide boot snapshot refused; it is made again', { file: this.file, reason });
    this.present = false;
    await fs.rm(this.file, { force: true });
  }

  /** Stop a maker still running. */
  close(): void {
    this.maker?.kill('SIGKILL');
  }

  private async make(): Promise<boolean> {
    const t0 = Date.now();
    const child = spawnSandboxProcess();
    this.maker = child;
    child.unref(); // a CLI that is done does not wait for it (the snapshot is made on a later start)
    (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
    (child.stdio[3] as { unref?: () => void } | null)?.unref?.();
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
    this.maker = null;
    if (!bytes || bytes.byteLength < 4096 || new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) !== SNAPSHOT_MAGIC) {
      this.logger.warn('pyodide boot snapshot could not be made; sessions boot cold', { file: this.file });
      return false;
    }
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, this.file);
    } catch (err) {
      this.logger.warn('pyodide boot snapshot could not be written; sessions boot cold', { file: this.file, error: (err as Error).message });
      return false;
    }
    this.logger.info('pyodide boot snapshot made', { file: this.file, bytes: bytes.byteLength, ms: Date.now() - t0 });
    return true;
  }
}
