/**
 * `DocumentStore` on the local file system (`rlm run`): documents are `file://` URIs (plain paths are
 * accepted too), artifacts are written under `artifactsDir`.
 *
 * - A file is one document, named by its file name; an explicitly named binary or non-UTF-8 file is
 *   refused with `DocumentError`.
 * - A directory is every text file under it, recursively, named by its `/`-separated path relative to
 *   the directory and sorted by that name. `.git` and `node_modules` are not descended into, binary and
 *   non-UTF-8 files are skipped, symbolic links to directories are not followed (no cycles).
 * - `chars` is exact: code points of the text (Python's `len`), counted on the bytes while the file is
 *   read in 1 MiB slices (nothing is decoded, the file is never held whole); `readTextBytes` reads it
 *   once, whole, and hands the checked bytes to a sandbox.
 */
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DocumentError } from '../../core/errors';
import type { DocumentStore, TextBytes } from '../../core/ports';
import type { DocumentRef } from '../../core/types';
import { decodeTextOrThrow, IGNORED_DIRECTORIES, TextChecker, textBytesOrThrow } from './text';

/** Absolute file path of a `file://` URI or a plain (absolute or cwd-relative) path. */
export function fromFileUri(uriOrPath: string): string {
  if (/^file:/i.test(uriOrPath)) {
    try {
      return path.resolve(fileURLToPath(uriOrPath));
    } catch (err) {
      throw new DocumentError(`invalid file URI ${uriOrPath}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uriOrPath)) {
    throw new DocumentError(`${uriOrPath} is not a local file (expected file:///abs/path or a path)`);
  }
  return path.resolve(uriOrPath);
}

/** Canonical `file:///abs/path` URI of a path (resolved against the cwd) or of a `file://` URI. */
export function toFileUri(pathOrUri: string): string {
  return pathToFileURL(fromFileUri(pathOrUri)).href;
}

/** Options of `LocalDocumentStore`. */
export interface LocalDocumentStoreOptions {
  /** Directory artifacts are written under (created on demand). */
  artifactsDir: string;
}

/** Documents from local files; artifacts under a local directory. */
export class LocalDocumentStore implements DocumentStore {
  private readonly artifactsDir: string;

  constructor(options: LocalDocumentStoreOptions) {
    this.artifactsDir = path.resolve(options.artifactsDir);
  }

  /** @inheritdoc */
  async resolve(uri: string): Promise<DocumentRef[]> {
    const target = fromFileUri(uri);
    const stat = await statOrThrow(target);
    if (stat.isFile()) {
      const checked = await checkFile(target);
      if (!checked.ok) throw new DocumentError(`${target} is not a text document: ${checked.reason}`);
      return [{ name: path.basename(target), uri: toFileUri(target), chars: checked.chars }];
    }
    if (!stat.isDirectory()) throw new DocumentError(`${target} is neither a file nor a directory`);

    const docs: DocumentRef[] = [];
    let skipped = 0;
    for (const file of await listFiles(target)) {
      const checked = await checkFile(file);
      if (!checked.ok) {
        skipped++;
        continue;
      }
      const name = path.relative(target, file).split(path.sep).join('/');
      docs.push({ name, uri: toFileUri(file), chars: checked.chars });
    }
    if (docs.length === 0) {
      throw new DocumentError(
        `directory ${target} contains no text files` + (skipped ? ` (${skipped} binary or non-UTF-8 files skipped)` : ''),
      );
    }
    return docs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** @inheritdoc */
  async readText(uri: string): Promise<string> {
    const target = fromFileUri(uri);
    const stat = await statOrThrow(target);
    if (!stat.isFile()) throw new DocumentError(`${target} is not a file`);
    return decodeTextOrThrow(await readOrThrow(target), target);
  }

  /** @inheritdoc */
  async readTextBytes(uri: string): Promise<TextBytes> {
    const target = fromFileUri(uri);
    const stat = await statOrThrow(target);
    if (!stat.isFile()) throw new DocumentError(`${target} is not a file`);
    return textBytesOrThrow(await readOrThrow(target), target);
  }

  /** @inheritdoc */
  localPath(uri: string): string | undefined {
    try {
      return fromFileUri(uri);
    } catch {
      return undefined;
    }
  }

  /**
   * Write `body` (UTF-8) to `<artifactsDir>/<key>`, creating directories; returns its `file://` URI.
   * Refuses absolute keys and keys with `..` segments (`DocumentError`). `contentType` is ignored.
   */
  async putArtifact(key: string, body: string, _contentType?: string): Promise<string> {
    const segments = key.split(/[\\/]+/);
    if (!key || path.isAbsolute(key) || /^[a-z]:/i.test(key) || segments.includes('..')) {
      throw new DocumentError(`artifact key ${JSON.stringify(key)} must be a relative path without '..'`);
    }
    const target = path.resolve(this.artifactsDir, ...segments.filter((s) => s !== '' && s !== '.'));
    const rel = path.relative(this.artifactsDir, target);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new DocumentError(`artifact key ${JSON.stringify(key)} escapes ${this.artifactsDir}`);
    }
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, body, 'utf8');
    } catch (err) {
      throw new DocumentError(`cannot write artifact ${target}: ${(err as Error).message}`, { cause: err });
    }
    return toFileUri(target);
  }
}

/**
 * Every regular file under `dir` (following symlinks to files only), skipping ignored directories,
 * appended to `out` (one array for the whole walk: a folder's files are never copied up level by level,
 * and spreading a list of 150k+ files into `push` would overflow the call stack).
 */
async function listFiles(dir: string, out: string[] = []): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw fsError(err, dir);
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!IGNORED_DIRECTORIES.has(entry.name)) await listFiles(full, out);
    } else if (entry.isFile()) {
      out.push(full);
    } else if (entry.isSymbolicLink()) {
      const target = await fs.stat(full).catch(() => undefined); // broken links are skipped
      if (target?.isFile()) out.push(full);
    }
  }
  return out;
}

async function statOrThrow(target: string) {
  try {
    return await fs.stat(target);
  } catch (err) {
    throw fsError(err, target);
  }
}

/** Slices `checkFile` reads a file in. */
const CHECK_SLICE_BYTES = 1024 * 1024;

/**
 * Whether a file is text, and its length, read through one small buffer: resolving a 100 MB document
 * never holds it (the sandbox reads it once more, whole, with `readTextBytes`).
 */
async function checkFile(file: string): Promise<ReturnType<TextChecker['end']>> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const buffer = new Uint8Array(CHECK_SLICE_BYTES);
    const checker = new TextChecker();
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return checker.end();
      checker.push(buffer.subarray(0, bytesRead));
    }
  } catch (err) {
    throw fsError(err, file);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function readOrThrow(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw fsError(err, file);
  }
}

function fsError(err: unknown, target: string): DocumentError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
  return new DocumentError(`cannot read ${target}: ${why}`, { cause: err });
}
