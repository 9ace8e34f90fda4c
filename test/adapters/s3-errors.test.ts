/**
 * S3 failures as the adapters name them, through the real S3 SDK against a loopback server that answers the way
 * S3 does (XML error bodies, 503 SlowDown, a destroyed socket): a transient failure that outlasts the client's own
 * retries becomes `DocumentStoreUnavailableError` (retried by the state machine); anything else passes unchanged.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { S3DocumentStore } from '../../lambdas/adapters/documents/s3-document-store';
import { isTransientS3Error, mapTransientS3Error } from '../../lambdas/adapters/s3/errors';
import { S3ObjectStore } from '../../lambdas/adapters/s3/s3-object-store';
import { DocumentError, DocumentStoreUnavailableError, isRetryable, RETRYABLE_ERROR_NAMES } from '../../lambdas/core/errors';
import { BUCKET_PREFIXES } from '../../lambdas/core/bucket-layout';

type Answer = { status: number; code: string } | 'drop' | 'ok';
let answers: Answer[] = [];
let requests: string[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}`);
      const a = answers.shift() ?? 'ok';
      if (a === 'drop') { req.socket.destroy(); return; }
      if (a === 'ok') { res.writeHead(200, { etag: '"e1"' }); res.end(); return; }
      res.writeHead(a.status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${a.code}</Code><Message>${a.code} from the test server</Message><RequestId>r1</RequestId></Error>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });
beforeEach(() => { answers = []; requests = []; });

const client = () => new S3Client({
  region: 'us-east-1', endpoint, forcePathStyle: true, maxAttempts: 3,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  // No backoff waits in the test; the attempts are the SDK's own.
  retryStrategy: undefined,
});
const documents = () => new S3DocumentStore({ client: client(), resultsBucket: 'pipeline', resultsPrefix: BUCKET_PREFIXES.results });

describe('artifact writes', () => {
  test.each([
    ['500 InternalError', { status: 500, code: 'InternalError' }],
    ['503 SlowDown', { status: 503, code: 'SlowDown' }],
    ['503 ServiceUnavailable', { status: 503, code: 'ServiceUnavailable' }],
    ['a dropped connection', 'drop' as const],
  ])('%s on every attempt: DocumentStoreUnavailableError after the SDK tried 3 times, naming the key', async (_l, a) => {
    answers = [a, a, a];
    const err = await documents().putArtifact('run-1/result.json', '{}').then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(DocumentStoreUnavailableError);
    expect(err?.name).toBe('DocumentStoreUnavailableError');
    expect(err?.message).toMatch(/^S3 failed PutObject s3:\/\/pipeline\/results\/run-1\/result\.json/);
    expect(isRetryable(err)).toBe(true);
    expect(requests).toHaveLength(3);
  }, 30_000);

  test('a transient failure that clears within the SDK attempts is not seen', async () => {
    answers = [{ status: 500, code: 'InternalError' }, 'ok'];
    await expect(documents().putArtifact('run-1/result.json', '{}')).resolves.toBe(`s3://pipeline/${BUCKET_PREFIXES.results}run-1/result.json`);
    expect(requests).toHaveLength(2);
  }, 30_000);

  test('a refusal is not transient: AccessDenied passes unchanged after one attempt', async () => {
    answers = [{ status: 403, code: 'AccessDenied' }];
    const err = await documents().putArtifact('run-1/result.json', '{}').then(() => undefined, (e: unknown) => e as Error);
    expect(err?.name).toBe('AccessDenied');
    expect(err).not.toBeInstanceOf(DocumentStoreUnavailableError);
    expect(requests).toHaveLength(1);
  });

  test('the batch ObjectStore names the same failures', async () => {
    answers = Array(3).fill({ status: 500, code: 'InternalError' });
    const store = new S3ObjectStore(client(), 'pipeline');
    await expect(store.putText('batches/x.json', '{}')).rejects.toBeInstanceOf(DocumentStoreUnavailableError);
  }, 30_000);
});

describe('document reads', () => {
  test('a 5xx reading a document is retryable, a missing one is bad input', async () => {
    answers = Array(3).fill({ status: 500, code: 'InternalError' });
    await expect(documents().readText('s3://in/a.txt')).rejects.toBeInstanceOf(DocumentStoreUnavailableError);
    answers = [{ status: 404, code: 'NoSuchKey' }];
    const missing = await documents().readText('s3://in/a.txt').then(() => undefined, (e: unknown) => e);
    expect(missing).toBeInstanceOf(DocumentError);
    expect(missing).not.toBeInstanceOf(DocumentStoreUnavailableError);
  }, 30_000);
});

test('classification: S3 codes, any 5xx and socket codes are transient; 4xx refusals are not', () => {
  const e = (name: string, status?: number, code?: string) => Object.assign(new Error(name), { name, ...(code ? { code } : {}), ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
  for (const t of [e('InternalError', 500), e('SlowDown', 503), e('Weird', 502), e('TimeoutError'), e('Error', undefined, 'ECONNRESET')]) expect(isTransientS3Error(t)).toBe(true);
  for (const t of [e('AccessDenied', 403), e('NoSuchKey', 404), e('InvalidArgument', 400), new DocumentError('x')]) expect(isTransientS3Error(t)).toBe(false);
  const passed = e('AccessDenied', 403);
  expect(mapTransientS3Error(passed, 'x')).toBe(passed);
  expect(RETRYABLE_ERROR_NAMES).toContain('DocumentStoreUnavailableError');
});
