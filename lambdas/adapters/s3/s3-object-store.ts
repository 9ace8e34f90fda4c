/**
 * `ObjectStore` (lambdas/core/batch/ports.ts) on the pipeline bucket, for the trigger and batch
 * Lambdas: read text objects with a size cap, write, list a prefix, move (copy + delete).
 */
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { ObjectTooLargeError } from '../../core/batch/errors';
import type { ListedObject, ObjectStore, StoredObject } from '../../core/batch/ports';
import { isMissingObject, mapTransientS3Error } from './errors';

/** The pipeline bucket through the S3 SDK. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client, private readonly bucket: string) {}

  /** @inheritdoc */
  async getText(key: string, options: { versionId?: string; maxBytes?: number } = {}): Promise<StoredObject | undefined> {
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(options.versionId ? { VersionId: options.versionId } : {}) }));
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
    if (options.maxBytes !== undefined && (res.ContentLength ?? 0) > options.maxBytes) {
      (res.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new ObjectTooLargeError(`s3://${this.bucket}/${key} is ${res.ContentLength} bytes; the limit is ${options.maxBytes}`);
    }
    const text = (await res.Body?.transformToString('utf-8')) ?? '';
    return { key, text, ...(res.ETag ? { etag: res.ETag.replace(/"/g, '') } : {}), ...(res.VersionId ? { versionId: res.VersionId } : {}) };
  }

  /** @inheritdoc */
  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isMissingObject(err)) return false;
      throw err;
    }
  }

  /** @inheritdoc */
  async putText(key: string, body: string, contentType = 'text/plain; charset=utf-8'): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (err) {
      throw mapTransientS3Error(err, `PutObject s3://${this.bucket}/${key}`);
    }
  }

  /** @inheritdoc */
  async list(prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        out.push({
          key: o.Key, size: o.Size ?? 0, ...(o.ETag ? { etag: o.ETag.replace(/"/g, '') } : {}),
          ...(o.LastModified ? { lastModified: o.LastModified.toISOString() } : {}),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** @inheritdoc */
  async move(from: string, to: string): Promise<boolean> {
    try {
      const source = `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: source }));
    } catch (err) {
      if (isMissingObject(err)) return false;
      throw err;
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: from }));
    return true;
  }
}
