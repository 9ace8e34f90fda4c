/**
 * The file primitives of the on-disk conversation store, synchronous on purpose: each item is one small
 * JSON file, and a synchronous write or read of a few kilobytes costs microseconds where the promise API
 * pays a libuv thread-pool round trip per call (open, write, close, link, unlink: five hops per item).
 * A single synchronous read-check-write also cannot interleave with another in the same process, which
 * is what makes the conditional updates of `FileConversationStore` atomic in-process without locks.
 *
 * Durability: every item is written with `write()` into the page cache, never `fsync`ed. A killed
 * process (SIGKILL, OOM kill, Ctrl-C) leaves every completed write on disk, because the kernel owns the
 * data once `write()` returned; an operating-system crash or power loss may lose the last writes (not
 * claimed; docs/reliability.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let tmpCounter = 0;

const isCode = (err: unknown, code: string) => (err as NodeJS.ErrnoException | null)?.code === code;

/** Directories created (or found) by this process, so each item write is not preceded by a `mkdir`. */
const knownDirs = new Set<string>();

function ensureDir(dir: string): void {
  if (knownDirs.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  knownDirs.add(dir);
}

/**
 * Write `json` to a fresh temporary file next to `target` and return its path and identity. A directory
 * removed behind the store's back (the state dir deleted while a process runs) is created again.
 */
function writeTemp(target: string, json: string): string {
  const dir = path.dirname(target);
  ensureDir(dir);
  const tmp = `${target}.${process.pid}.${++tmpCounter}.tmp`;
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'wx');
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
    knownDirs.delete(dir);
    ensureDir(dir);
    fd = fs.openSync(tmp, 'wx');
  }
  try {
    fs.writeSync(fd, json);
    return tmp;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Create `target` holding `json` only if it does not exist (false when it did). The content is written
 * to a temporary file first and hard-linked onto the name (`EEXIST` = the condition failed), so a reader
 * never sees a half-written item and a killed process leaves either the whole item or none.
 */
export function createIfAbsent(target: string, json: string): boolean {
  const tmp = writeTemp(target, json);
  try {
    fs.linkSync(tmp, target);
    return true;
  } catch (err) {
    if (isCode(err, 'EEXIST')) return false;
    throw err;
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}

/** Read and parse `file`, or undefined when it does not exist. */
export function readJsonFile<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** True when `file` exists. */
export function exists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch (err) {
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return false;
    throw err;
  }
}

/** Remove `file` if it exists. */
export function removeFile(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
  }
}

/** Names of the items (`*.json`, temporary files excluded) in `dir`, sorted; empty when it does not exist. */
export function itemNames(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return [];
    throw err;
  }
}
