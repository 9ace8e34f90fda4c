/** An in-memory S3 bucket and Step Functions service behind aws-sdk-client-mock, for the trigger and batch handler tests. */
import { Readable } from 'node:stream';
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import type { Logger } from '../../lambdas/core/ports';

const notFound = (name: string) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 404 } });

/** A bucket: key -> {body, versionId, etag}. `pageSize` makes ListObjectsV2 paginate. */
export function fakeS3(pageSize = 1000) {
  const objects = new Map<string, { body: string; versionId: string; etag: string }>();
  let version = 0;
  const put = (key: string, body: string) => {
    version += 1;
    objects.set(key, { body, versionId: `v${version}`, etag: `etag${version}` });
    return objects.get(key)!;
  };
  const mock = mockClient(S3Client);
  mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const o = objects.get(input.Key);
    if (!o) throw notFound('NoSuchKey');
    return { Body: sdkStreamMixin(Readable.from([Buffer.from(o.body, 'utf8')])), ContentLength: Buffer.byteLength(o.body), ETag: `"${o.etag}"`, VersionId: o.versionId };
  });
  mock.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    if (!objects.has(input.Key)) throw notFound('NotFound');
    return {};
  });
  mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    const o = put(input.Key, String(input.Body));
    return { ETag: `"${o.etag}"`, VersionId: o.versionId };
  });
  mock.on(ListObjectsV2Command).callsFake((input: { Prefix?: string; ContinuationToken?: string }) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + pageSize);
    const more = start + pageSize < keys.length;
    return {
      Contents: page.map((Key) => ({ Key, Size: Buffer.byteLength(objects.get(Key)!.body), ETag: `"${objects.get(Key)!.etag}"` })),
      IsTruncated: more, ...(more ? { NextContinuationToken: String(start + pageSize) } : {}),
    };
  });
  mock.on(CopyObjectCommand).callsFake((input: { Key: string; CopySource: string }) => {
    const from = decodeURIComponent(input.CopySource.split('/').slice(1).join('/'));
    const o = objects.get(from);
    if (!o) throw notFound('NoSuchKey');
    put(input.Key, o.body);
    return {};
  });
  mock.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
    objects.delete(input.Key);
    return {};
  });
  return { mock, objects, put, client: new S3Client({ region: 'us-east-1' }), text: (key: string) => objects.get(key)?.body };
}

/** A Step Functions service that remembers execution names and refuses duplicates like the real one. */
export function fakeSfn() {
  const started = new Map<string, unknown>();
  const mock = mockClient(SFNClient);
  mock.on(StartExecutionCommand).callsFake((input: { name: string; input: string }) => {
    if (started.has(input.name)) throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${input.name}'`, $metadata: {} });
    started.set(input.name, JSON.parse(input.input));
    return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:Runs:${input.name}`, startDate: new Date() };
  });
  return { mock, started, client: new SFNClient({ region: 'us-east-1' }) };
}

/** A logger that keeps its lines. */
export function memoryLogger(): Logger & { lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => { lines.push({ level, message, ...(fields ? { fields } : {}) }); };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
