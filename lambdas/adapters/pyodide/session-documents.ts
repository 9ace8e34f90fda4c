/**
 * The documents of a Pyodide session start, host side (split from `pyodide-sandbox.ts`): unique names, the
 * bytes read once and checked as UTF-8, which documents the sandbox process may read from their files
 * itself, and the head of a file for the context preview.
 */
import { promises as fs, realpathSync } from 'node:fs';
import { DocumentError, RlmError } from '../../core/errors';
import type { DocumentStore } from '../../core/ports';
import { CONTEXT_PREVIEW_CHARS, type TextBytes } from '../../core/ports';
import { codePointLength } from '../../core/context-layout';
import type { DocumentRef } from '../../core/types';

/** Make document names unique keys of `documents` (a repeated name gets ` (2)`, ` (3)`...). */
export function uniqueNames(refs: DocumentRef[]): string[] {
  const seen = new Map<string, number>();
  return refs.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r.name : `${r.name} (${n})`;
  });
}

/** First code points of a document kept for the context preview (the decode of a few KB, never the whole). */
export const HEAD_BYTES = CONTEXT_PREVIEW_CHARS * 4;

/**
 * Read one document as checked UTF-8 bytes with its length (the store's `readTextBytes`: read once, never
 * decoded on the host), or, from a store without it, as text encoded once.
 */
export async function readDocumentBytes(store: DocumentStore, ref: DocumentRef): Promise<TextBytes> {
  try {
    if (store.readTextBytes) return await store.readTextBytes(ref.uri);
    const text = await store.readText(ref.uri);
    if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) {
      throw new DocumentError(`document "${ref.name}" (${ref.uri}) is not valid UTF-8 text (it contains unpaired surrogates)`);
    }
    return { bytes: new TextEncoder().encode(text), chars: codePointLength(text) };
  } catch (err) {
    if (err instanceof RlmError) throw err;
    throw new DocumentError(`document "${ref.name}" (${ref.uri}) could not be read as UTF-8 text: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/** Most documents a session reads from their files itself (each is one `--allow-fs-read` flag of its process). */
export const MAX_FILE_DOCUMENTS = 64;

/** A document the sandbox process reads from its file: the path, and the paths it may read for it. */
export interface DocumentFile {
  path: string;
  readable: string[];
}

/**
 * The files of `refs` when the sandbox process can read them itself, else undefined (their bytes are sent):
 * every document is a local file the store names, with an exact length, at most {@link MAX_FILE_DOCUMENTS},
 * and no path Node's `--allow-fs-read` would read as a list or a wildcard (`,` `*`).
 */
export function documentFiles(store: DocumentStore, refs: DocumentRef[]): DocumentFile[] | undefined {
  if (!store.localPath || refs.length > MAX_FILE_DOCUMENTS) return undefined;
  const files: DocumentFile[] = [];
  for (const ref of refs) {
    const file = store.localPath(ref.uri);
    if (!file || !Number.isSafeInteger(ref.chars) || ref.chars < 0) return undefined;
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      return undefined; // gone: reading its bytes reports the error
    }
    const readable = real === file ? [file] : [file, real];
    if (readable.some((p) => /[,*]/.test(p))) return undefined;
    files.push({ path: file, readable });
  }
  return files;
}

/** The first `HEAD_BYTES` of a document file (a byte-order mark dropped), for the context preview. */
export async function readHead(ref: DocumentRef, file: string): Promise<string> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const buf = new Uint8Array(HEAD_BYTES + 3);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const bom = bytesRead >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
    return new TextDecoder().decode(buf.subarray(bom, Math.min(bytesRead, bom + HEAD_BYTES)));
  } catch (err) {
    throw new DocumentError(`document "${ref.name}" (${ref.uri}) could not be read: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

