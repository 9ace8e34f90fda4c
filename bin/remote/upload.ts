/**
 * `rlm submit`'s documents: local files and directories are uploaded to `documents/<runId>/` in the
 * stack's bucket; `s3://` documents are checked (stack bucket, readable prefix) and passed through.
 *
 * Layout: a file `a/notes.txt` becomes `documents/<runId>/notes.txt` and is passed as that object's URI
 * (the run names it `notes.txt`, as `rlm run` would); a directory `logs/` becomes the prefix
 * `documents/<runId>/logs/` holding its text files by relative path, passed as the prefix URI (the run
 * names them by their path relative to the directory, as `rlm run` would). Two arguments with the same
 * base name get `-2`, `-3`... top-level names; a renamed file keeps its name in the run (`{uri, name}`).
 * Which files are text is decided by `LocalDocumentStore.resolve` (binary and non-UTF-8 files skipped in
 * directories and refused when named; `.git` and `node_modules` not entered).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { fromFileUri, LocalDocumentStore, toS3Uri } from '../../lambdas/adapters/documents';
import { mapWithConcurrency } from '../../lambdas/core/batch/pool';
import { DocumentError } from '../../lambdas/core/errors';
import type { StartRunRequest } from '../../lambdas/core/types';
import { assertReadableS3Document, uploadPrefixFor, type RemoteStack } from './stack';

/** One object to upload. */
export interface PlannedUpload {
  /** Absolute local path. */
  file: string;
  key: string;
}

/** The documents of the start request and the uploads they need. */
export interface DocumentPlan {
  documents: StartRunRequest['documents'];
  uploads: PlannedUpload[];
}

/** Uploads in flight at once. */
const UPLOAD_CONCURRENCY = 8;

/**
 * Decide the keys and request documents for `args` (local paths, `file://` or `s3://` URIs) without
 * uploading. Throws `InvalidInputError` for an `s3://` document the run could not read and
 * `DocumentError` for a missing path, a named binary file or a directory without text files.
 */
export async function planDocuments(args: string[], stack: RemoteStack, runId: string): Promise<DocumentPlan> {
  const prefix = uploadPrefixFor(runId);
  const local = new LocalDocumentStore({ artifactsDir: '.' }); // resolve only; never writes artifacts
  const used = new Set<string>();
  const plan: DocumentPlan = { documents: [], uploads: [] };
  for (const arg of args) {
    if (/^s3:\/\//i.test(arg)) {
      assertReadableS3Document(arg, stack);
      plan.documents.push(arg);
      continue;
    }
    const target = fromFileUri(arg);
    const refs = await local.resolve(target);
    const isDirectory = (await fs.stat(target)).isDirectory();
    const base = path.basename(target) || 'root';
    const top = uniqueName(base, used);
    if (isDirectory) {
      for (const ref of refs) plan.uploads.push({ file: fromFileUri(ref.uri), key: `${prefix}${top}/${ref.name}` });
      plan.documents.push(toS3Uri(stack.bucketName, `${prefix}${top}/`));
    } else {
      const uri = toS3Uri(stack.bucketName, `${prefix}${top}`);
      plan.uploads.push({ file: target, key: `${prefix}${top}` });
      plan.documents.push(top === base ? uri : { uri, name: base });
    }
  }
  return plan;
}

/** `name`, or `stem-2.ext`, `stem-3.ext`... the first not in `used` (which it is added to). */
function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 2; used.has(candidate); n++) candidate = `${stem}-${n}${ext}`;
  used.add(candidate);
  return candidate;
}

/** Totals of an upload. */
export interface UploadReport {
  files: number;
  bytes: number;
}

/**
 * PutObject every planned file to the stack's bucket, `UPLOAD_CONCURRENCY` at a time. One PutObject per
 * file (up to 5 GB, far beyond what a sandbox can hold); `onProgress` is called after each file.
 */
export async function uploadDocuments(
  s3: S3Client,
  bucket: string,
  uploads: PlannedUpload[],
  onProgress?: (done: number, total: number, key: string) => void,
): Promise<UploadReport> {
  let done = 0;
  let bytes = 0;
  await mapWithConcurrency(uploads, UPLOAD_CONCURRENCY, async ({ file, key }) => {
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch (err) {
      throw new DocumentError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/plain; charset=utf-8' }));
    bytes += body.length;
    onProgress?.(++done, uploads.length, key);
  });
  return { files: done, bytes };
}
