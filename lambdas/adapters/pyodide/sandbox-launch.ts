/**
 * Starts the OS process of one Pyodide sandbox session: `node` with Node's permission model (reads only
 * of Pyodide's package files and the two sandbox scripts; no writes, no child processes, no addons; worker
 * threads allowed because Pyodide runs in one), code generation from strings disabled, an explicit empty
 * environment, stdout discarded (model code can never write to the CLI's stdout), the direct worker
 * channel from fd 3 (a FIFO pair or a socket, `host-link.ts`) and an IPC channel after it, at a lower CPU
 * priority than the CLI (`process-priority.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { lowerSandboxPriority } from './process-priority';

/** Directory of the sandbox scripts (plain JS next to this file, the same under jest, tsx and node). */
const SCRIPT_DIR = __dirname;
/** The child's main script (relays IPC to the Pyodide worker). */
export const PROCESS_SCRIPT = path.join(SCRIPT_DIR, 'sandbox-process.mjs');
/** Scripts the child may read besides Pyodide's package. */
export const SANDBOX_SCRIPTS = ['sandbox-process.mjs', 'sandbox-worker.mjs', 'sandbox-hardening.mjs', 'sandbox-channel.mjs', 'sandbox-files.mjs', 'sandbox-reset.mjs'].map((f) => path.join(SCRIPT_DIR, f));

/** Default memory cap of one session (MiB). */
export const DEFAULT_MEMORY_LIMIT_MB = 2048;
/** Smallest accepted memory cap (MiB): Pyodide needs about 100 MiB to boot. */
export const MIN_MEMORY_LIMIT_MB = 256;

/** How a session's memory cap splits between the JavaScript heap and the WebAssembly (CPython) heap. */
export interface MemorySplit {
  /** V8 old-generation limit of the Pyodide worker (MiB). */
  jsHeapMb: number;
  /** Largest WebAssembly heap (bytes): CPython's objects, the documents, the model's variables. */
  wasmHeapBytes: number;
}

/** Split `limitMb`: a quarter (128..512 MiB) for JavaScript, the rest for CPython's heap. */
export function memorySplit(limitMb: number): MemorySplit {
  if (!Number.isFinite(limitMb) || limitMb < MIN_MEMORY_LIMIT_MB) {
    throw new RangeError(`sandbox memory limit must be at least ${MIN_MEMORY_LIMIT_MB} MiB, got ${limitMb}`);
  }
  const jsHeapMb = Math.min(512, Math.max(128, Math.floor(limitMb / 4)));
  // wasm32 cannot address more than 4 GiB - 64 KiB.
  const wasmHeapBytes = Math.min((limitMb - jsHeapMb) * 1024 * 1024, 4 * 1024 ** 3 - 65536);
  return { jsHeapMb, wasmHeapBytes };
}

let pyodideDirCache: string | undefined;
/** Directory of the installed `pyodide` package (its .wasm, stdlib zip and lock file). */
export function pyodideDir(): string {
  pyodideDirCache ??= path.dirname(require.resolve('pyodide/package.json'));
  return pyodideDirCache;
}

/** File URL of Pyodide's ES module entry, imported by the worker. */
export function pyodideModuleUrl(): string {
  return pathToFileURL(path.join(pyodideDir(), 'pyodide.mjs')).href;
}

/** Node major version (the permission flag was renamed in 22). */
export function nodeMajor(version: string = process.versions.node): number {
  return Number(version.split('.')[0]);
}

/**
 * Command-line flags of the sandbox process for this Node version; `extraReadable` are more files it may
 * read (the boot snapshot).
 */
export function sandboxNodeFlags(major: number = nodeMajor(), extraReadable: string[] = []): string[] {
  // Each path once: Node 20 aborts at start-up on a repeated --allow-fs-read (a document named twice).
  const readable = [...new Set([`${pyodideDir()}${path.sep}*`, ...SANDBOX_SCRIPTS, ...extraReadable])];
  // One --allow-fs-read per path: comma-separated lists are refused since Node 20.20 / 22.
  const permission = [major >= 22 ? '--permission' : '--experimental-permission', ...readable.map((p) => `--allow-fs-read=${p}`)];
  return [
    ...permission,
    '--allow-worker',
    '--no-addons',
    '--disallow-code-generation-from-strings',
    '--disable-warning=ExperimentalWarning',
    '--disable-warning=SecurityWarning',
    // the child's own main thread needs little; the worker's limit is set by `resourceLimits`
    '--max-old-space-size=128',
    // one V8 background thread, not four: each kept its own malloc arena of compiler and GC memory
    // (30-40 MB of the process's RSS at 16M characters), and on two cores they bought no speed
    '--v8-pool-size=1',
  ];
}

/**
 * Spawn the sandbox process (it may also read `extraReadable`); the caller sends `init` over IPC.
 * `channel`: the `stdio` entries of the direct channel from fd 3 (default: one socket).
 */
export function spawnSandboxProcess(extraReadable: string[] = [], channel: Array<'pipe' | 'ignore' | number> = ['pipe']): ChildProcess {
  const child = spawn(process.execPath, [...sandboxNodeFlags(nodeMajor(), extraReadable), PROCESS_SCRIPT], {
    env: {},
    cwd: path.dirname(PROCESS_SCRIPT),
    // from fd 3: the direct worker <-> host channel (host-link.ts); then Node IPC for start-up
    stdio: ['ignore', 'ignore', 'pipe', ...channel, 'ipc'],
    serialization: 'advanced',
    windowsHide: true,
  });
  // Before Node starts in the child, so the threads it creates inherit the lower priority; the session
  // applies it again to every thread once the interpreter booted (process-priority.ts).
  lowerSandboxPriority(child.pid);
  return child;
}

type Refable = { ref?: () => void; unref?: () => void };

/**
 * Whether a sandbox process keeps the CLI's event loop alive: only while a start or a cell is in
 * progress (an idle session or warm spare must not). Covers the process, its IPC channel and fd 3.
 */
export function holdProcess(child: ChildProcess, on: boolean): void {
  const handles = [child.channel as Refable | null | undefined, child.stdio[3] as Refable | null];
  if (on) child.ref();
  else child.unref();
  for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
}
