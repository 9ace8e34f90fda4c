/**
 * `DocumentStore` on S3: documents are `s3://bucket/key` objects or `s3://bucket/prefix/` prefixes;
 * artifacts go to `s3://<resultsBucket>/<resultsPrefix><key>`.
 *
 * - An object is one document, named by the key's base name. `chars` is `ContentLength` (bytes), an
 *   estimate until the sandbox loads the text. Objects with a binary extension are refused up front.
 * - A prefix (URI ending in `/`, or the bucket root) is every object under it (ListObjectsV2, all
 *   pages), named by its key relative to the prefix (like the local store's relative paths) and sorted.
 *   Skipped without reading them: keys under a `.git/` or `node_modules/` segment, "folder" marker keys
 *   ending in `/`, and keys with an obviously binary extension (`BINARY_EXTENSIONS`: images, PDF and
 *   office files, archives, compiled code, fonts, audio/video, binary data formats). Other binary
 *   objects are only detected when read (`readText` throws `DocumentError`).
 * - `readText` decodes UTF-8 strictly (`fatal: true`); binary or non-UTF-8 content is a `DocumentError`.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DocumentError } from '../../core/errors';
import type { DocumentStore, TextBytes } from '../../core/ports';
import type { DocumentRef } from '../../core/types';
import { isMissingObject, mapTransientS3Error } from '../s3/errors';
import { decodeTextOrThrow, hasBinaryExtension, IGNORED_DIRECTORIES, textBytesOrThrow } from './text';

/** Bucket and key of an `s3://bucket/key` URI (key may be empty for the bucket root). */
export interface S3Location {
  bucket: string;
  key: string;
}

/** Parse `s3://bucket/key`. Throws `DocumentError` for anything else. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m) throw new DocumentError(`${uri} is not an S3 URI (expected s3://bucket/key or s3://bucket/prefix/)`);
  return { bucket: m[1], key: m[2] ?? '' };
}

/** `s3://bucket/key`. */
export function toS3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Options of `S3DocumentStore`. */
export interface S3DocumentStoreOptions {
  client: S3Client;
  /** Bucket artifacts are written to. */
  resultsBucket: string;
  /** Key prefix of artifacts, e.g. `results/` (a trailing `/` is added when missing). */
  resultsPrefix: string;
}

/** Documents from S3 objects and prefixes; artifacts to an S3 results prefix. */
export class S3DocumentStore implements DocumentStore {
  private readonly client: S3Client;
  private readonly resultsBucket: string;
  private readonly resultsPrefix: string;

  constructor(options: S3DocumentStoreOptions) {
    this.client = options.client;
    this.resultsBucket = options.resultsBucket;
    const prefix = options.resultsPrefix.replace(/^\/+/, '');
    this.resultsPrefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  /** @inheritdoc */
  async resolve(uri: string): Promise<DocumentRef[]> {
    const { bucket, key } = parseS3Uri(uri);
    if (key === '' || key.endsWith('/')) return this.resolvePrefix(bucket, key, uri);
    if (hasBinaryExtension(key)) throw new DocumentError(`${uri} is not a text document: binary file extension`);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return [{ name: key.slice(key.lastIndexOf('/') + 1), uri: toS3Uri(bucket, key), chars: head.ContentLength ?? 0 }];
    } catch (err) {
      throw mapS3Error(err, uri, ` (to use every object under a prefix, end the URI with '/')`);
    }
  }

  /** @inheritdoc */
  async readText(uri: string): Promise<string> {
    return decodeTextOrThrow(await this.getBytes(uri), uri);
  }

  /** @inheritdoc */
  async readTextBytes(uri: string): Promise<TextBytes> {
    return textBytesOrThrow(await this.getBytes(uri), uri);
  }

  private async getBytes(uri: string): Promise<Uint8Array> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) throw new DocumentError(`${uri} has no body`);
      return await out.Body.transformToByteArray();
    } catch (err) {
      throw mapS3Error(err, uri);
    }
  }

  /**
   * PutObject `body` to the results prefix; returns its `s3://` URI. `contentType` defaults to JSON for
   * `.json` keys and UTF-8 text otherwise. Refuses empty keys and keys with `..` segments.
   */
  async putArtifact(key: string, body: string, contentType?: string): Promise<string> {
    const clean = key.replace(/^\/+/, '');
    if (!clean || clean.split('/').includes('..')) {
      throw new DocumentError(`artifact key ${JSON.stringify(key)} must be a relative key without '..'`);
    }
    const fullKey = this.resultsPrefix + clean;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.resultsBucket,
          Key: fullKey,
          Body: body,
          ContentType: contentType ?? (clean.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8'),
        }),
      );
    } catch (err) {
      // A transient failure is named (DocumentStoreUnavailableError) so the task is retried, not failed.
      throw mapTransientS3Error(err, `PutObject ${toS3Uri(this.resultsBucket, fullKey)}`);
    }
    return toS3Uri(this.resultsBucket, fullKey);
  }

  /** Every text-looking object under `prefix`, all ListObjectsV2 pages. */
  private async resolvePrefix(bucket: string, prefix: string, uri: string): Promise<DocumentRef[]> {
    const docs: DocumentRef[] = [];
    let listed = 0;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }),
        );
      } catch (err) {
        throw mapS3Error(err, uri);
      }
      for (const obj of page.Contents ?? []) {
        if (!obj.Key) continue;
        listed++;
        const name = obj.Key.slice(prefix.length);
        if (!name || name.endsWith('/')) continue; // folder marker
        if (name.split('/').some((segment) => IGNORED_DIRECTORIES.has(segment))) continue;
        if (hasBinaryExtension(name)) continue;
        docs.push({ name, uri: toS3Uri(bucket, obj.Key), chars: obj.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (listed === 0) throw new DocumentError(`no objects under ${uri}`);
    if (docs.length === 0) {
      throw new DocumentError(`no text objects under ${uri} (${listed} objects skipped: folders, .git, binary)`);
    }
    return docs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Missing objects/buckets and access denials become `DocumentError`, transient failures `DocumentStoreUnavailableError`; others pass through. */
function mapS3Error(err: unknown, uri: string, notFoundHint = ''): unknown {
  if (err instanceof DocumentError) return err;
  if (isMissingObject(err)) return new DocumentError(`no such S3 object: ${uri}${notFoundHint}`, { cause: err });
  const name = err instanceof Error ? err.name : '';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket') return new DocumentError(`no such S3 bucket in ${uri}`, { cause: err });
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    return new DocumentError(`access denied reading ${uri}`, { cause: err });
  }
  return mapTransientS3Error(err, `reading ${uri}`);
}
