/**
 * Creating a whole file only if absent (a fully written temporary file hard-linked onto the name), used
 * where a file must appear complete or not at all: a run's journal created from the items of an older
 * layout (file-conversation-store.ts). Synchronous like every file call of the store (a few kilobytes
 * cost microseconds, where the promise API pays a libuv thread-pool round trip per call), never `fsync`ed
 * (docs/reliability.md).
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

/** Close `fd` if open; a descriptor already closed is not an error. Returns undefined (the new value of the holder). */
export function closeQuietly(fd: number | undefined): undefined {
  if (fd === undefined) return undefined;
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
  return undefined;
}
