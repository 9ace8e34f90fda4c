/**
 * Document stores: the local store on real temp directories; the S3 store at the SDK boundary with
 * aws-sdk-client-mock and SDK-shaped responses (stream bodies, paginated listings, modeled errors).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { DocumentError } from '../../lambdas/core/errors';
import {
  LocalDocumentStore,
  S3DocumentStore,
  countCodePoints,
  decodeText,
  fromFileUri,
  toFileUri,
} from '../../lambdas/adapters/documents';

let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'rlm-docs-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(rel: string, content: string | Buffer): string {
  const full = path.join(root, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
  return full;
}

describe('LocalDocumentStore', () => {
  const store = () => new LocalDocumentStore({ artifactsDir: path.join(root, 'artifacts') });

  it('resolves a text file to one document with exact chars, and reads it', async () => {
    const file = write('single/notes.txt', 'hello\nworld\n');
    const docs = await store().resolve(toFileUri(file));
    expect(docs).toEqual([{ name: 'notes.txt', uri: toFileUri(file), chars: 12 }]);
    expect(await store().readText(docs[0].uri)).toBe('hello\nworld\n');
    expect(await store().resolve(file)).toEqual(docs); // plain paths work too
  });

  it('counts chars as code points, like Python len', async () => {
    // 'naïve 🚀 café 👩‍👩‍👧 日本語' spelled with escapes so the source encoding cannot change it.
    const text = 'na\u00efve \u{1F680} caf\u00e9 \u{1F469}\u200d\u{1F469}\u200d\u{1F467} \u65e5\u672c\u8a9e';
    const file = write('emoji/e.txt', text);
    const [doc] = await store().resolve(toFileUri(file));
    expect(text.length).toBe(26); // UTF-16 code units
    expect(doc.chars).toBe(22); // python3: len(that string) == 22
    expect(countCodePoints(text)).toBe([...text].length);
  });

  it('walks a directory tree: sorted relative names, binary files and .git/node_modules skipped', async () => {
    write('tree/b.md', '# b');
    write('tree/a.txt', 'a');
    write('tree/sub/deep/c.py', 'print("c")');
    write('tree/img.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]));
    write('tree/latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9])); // 'café' in Latin-1
    write('tree/.git/HEAD', 'ref: refs/heads/main');
    write('tree/node_modules/x/index.js', 'module.exports = 1');
    const docs = await store().resolve(toFileUri(path.join(root, 'tree')));
    expect(docs.map((d) => d.name)).toEqual(['a.txt', 'b.md', 'sub/deep/c.py']);
    expect(docs[2]).toEqual({ name: 'sub/deep/c.py', uri: toFileUri(path.join(root, 'tree/sub/deep/c.py')), chars: 10 });
  });

  it('treats a NUL byte anywhere as binary, as the AgentCore loader does', async () => {
    const bytes = Buffer.concat([Buffer.from('a'.repeat(100_000)), Buffer.from([0]), Buffer.from('tail')]);
    expect(decodeText(bytes)).toEqual({ ok: false, reason: 'binary content (NUL byte at offset 100000)' });
  });

  it('refuses an explicitly named binary file, naming it and why', async () => {
    const file = write('bin/data.bin', Buffer.from('abc\0def'));
    const err = await store().resolve(toFileUri(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/binary content \(NUL byte at offset 3\)/);
    await expect(store().readText(toFileUri(file))).rejects.toThrow(DocumentError);
  });

  it('refuses a non-UTF-8 file', async () => {
    const file = write('enc/latin1.txt', Buffer.concat([Buffer.from('ok ok '), Buffer.from([0xe9, 0x20])]));
    await expect(store().resolve(file)).rejects.toThrow(/latin1\.txt is not a text document: not valid UTF-8 \(at byte 6\)/);
  });

  it('refuses a missing path and a directory without text files', async () => {
    await expect(store().resolve(toFileUri(path.join(root, 'missing.txt')))).rejects.toThrow(
      /cannot read .*missing\.txt: no such file or directory/,
    );
    write('onlybin/x.bin', Buffer.from([1, 2, 0, 3]));
    write('onlybin/.git/config', '[core]');
    await expect(store().resolve(path.join(root, 'onlybin'))).rejects.toThrow(
      /contains no text files \(1 binary or non-UTF-8 files skipped\)/,
    );
    await expect(store().resolve('s3://bucket/key')).rejects.toThrow(DocumentError);
  });

  it('writes artifacts under artifactsDir and refuses escapes', async () => {
    const s = store();
    const uri = await s.putArtifact('run-1/result.json', '{"answer":"42"}', 'application/json');
    expect(uri).toBe(toFileUri(path.join(root, 'artifacts/run-1/result.json')));
    expect(readFileSync(fromFileUri(uri), 'utf8')).toBe('{"answer":"42"}');
    await expect(s.putArtifact('../outside.txt', 'x')).rejects.toThrow(DocumentError);
    await expect(s.putArtifact('run-1/../../outside.txt', 'x')).rejects.toThrow(DocumentError);
    await expect(s.putArtifact('/etc/passwd', 'x')).rejects.toThrow(DocumentError);
  });

  it('converts between paths and file URIs', () => {
    expect(toFileUri('/tmp/a b/c.txt')).toBe('file:///tmp/a%20b/c.txt');
    expect(fromFileUri('file:///tmp/a%20b/c.txt')).toBe('/tmp/a b/c.txt');
    expect(fromFileUri('/tmp/x/../y.txt')).toBe('/tmp/y.txt');
    expect(toFileUri('file:///tmp/x/../y.txt')).toBe('file:///tmp/y.txt');
  });
});

describe('decodeText', () => {
  it('names the first byte that breaks UTF-8 by the decoder\'s rules (overlong, surrogate, past U+10FFFF, truncated)', () => {
    const reason = (...bytes: number[]) => {
      const d = decodeText(Uint8Array.from(bytes));
      return d.ok ? 'ok' : d.reason;
    };
    expect(reason(0x61, 0xc3, 0xa9, 0x62)).toBe('ok');
    expect(reason(0x61, 0xc0, 0x80)).toBe('not valid UTF-8 (at byte 1)'); // overlong 2-byte
    expect(reason(0x61, 0x62, 0xe0, 0x80, 0x80)).toBe('not valid UTF-8 (at byte 2)'); // overlong 3-byte
    expect(reason(0xe2, 0x82, 0xac, 0xed, 0xa0, 0x80)).toBe('not valid UTF-8 (at byte 3)'); // surrogate D800
    expect(reason(0xf4, 0x90, 0x80, 0x80)).toBe('not valid UTF-8 (at byte 0)'); // U+110000
    expect(reason(0xf0, 0x9f, 0x98, 0x80, 0xf0, 0x9f, 0x98)).toBe('not valid UTF-8 (at byte 4)'); // truncated at the end
    expect(reason(0xe2, 0x82, 0x41)).toBe('not valid UTF-8 (at byte 0)'); // bad continuation
  });

  it('finds a bad byte at the end of a large document quickly', () => {
    const bytes = Buffer.alloc(20_000_000, 0x61);
    bytes[bytes.length - 1] = 0xe9;
    const t0 = Date.now();
    expect(decodeText(bytes)).toEqual({ ok: false, reason: `not valid UTF-8 (at byte ${bytes.length - 1})` });
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

describe('S3DocumentStore (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  const store = () =>
    new S3DocumentStore({ client: new S3Client({ region: 'us-east-1' }), resultsBucket: 'results', resultsPrefix: 'rlm' });
  const body = (bytes: Buffer) => sdkStreamMixin(Readable.from([bytes]));
  const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1' });

  beforeEach(() => s3.reset());
  afterAll(() => s3.restore());

  it('resolves one object with HeadObject (chars = ContentLength estimate, name = base name)', async () => {
    s3.on(HeadObjectCommand, { Bucket: 'docs', Key: 'logs/2025/app.log' }).resolves({
      ContentLength: 5120,
      ContentType: 'text/plain',
      $metadata: meta(200),
    });
    expect(await store().resolve('s3://docs/logs/2025/app.log')).toEqual([
      { name: 'app.log', uri: 's3://docs/logs/2025/app.log', chars: 5120 },
    ]);
  });

  it('maps a missing object (404 NotFound) to DocumentError with a hint about prefixes', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: meta(404) }));
    await expect(store().resolve('s3://docs/logs')).rejects.toThrow(/no such S3 object: s3:\/\/docs\/logs .*end the URI with '\/'/);
    await expect(store().resolve('s3://docs/photo.PNG')).rejects.toThrow(/binary file extension/);
  });

  it('lists a prefix across pages, skipping folders, .git, node_modules and binary extensions', async () => {
    s3.on(ListObjectsV2Command, { Bucket: 'docs', Prefix: 'repo/', ContinuationToken: undefined }).resolves({
      IsTruncated: true,
      NextContinuationToken: 'tok-2',
      KeyCount: 4,
      Contents: [
        { Key: 'repo/', Size: 0 },
        { Key: 'repo/src/main.ts', Size: 300 },
        { Key: 'repo/.git/HEAD', Size: 21 },
        { Key: 'repo/logo.png', Size: 9000 },
      ],
      $metadata: meta(200),
    });
    s3.on(ListObjectsV2Command, { Bucket: 'docs', Prefix: 'repo/', ContinuationToken: 'tok-2' }).resolves({
      IsTruncated: false,
      KeyCount: 4,
      Contents: [
        { Key: 'repo/README.md', Size: 120 },
        { Key: 'repo/docs/', Size: 0 },
        { Key: 'repo/node_modules/x/index.js', Size: 10 },
        { Key: 'repo/dist/app.tar.gz', Size: 100000 },
      ],
      $metadata: meta(200),
    });
    expect(await store().resolve('s3://docs/repo/')).toEqual([
      { name: 'README.md', uri: 's3://docs/repo/README.md', chars: 120 },
      { name: 'src/main.ts', uri: 's3://docs/repo/src/main.ts', chars: 300 },
    ]);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
  });

  it('refuses an empty prefix, one with only binary objects, and a missing bucket', async () => {
    s3.on(ListObjectsV2Command, { Prefix: 'empty/' }).resolves({ IsTruncated: false, KeyCount: 0, $metadata: meta(200) });
    s3.on(ListObjectsV2Command, { Prefix: 'img/' }).resolves({
      IsTruncated: false,
      Contents: [{ Key: 'img/a.jpg', Size: 10 }],
      $metadata: meta(200),
    });
    s3.on(ListObjectsV2Command, { Bucket: 'gone' }).rejects(
      new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: meta(404) }),
    );
    await expect(store().resolve('s3://docs/empty/')).rejects.toThrow(/no objects under s3:\/\/docs\/empty\//);
    await expect(store().resolve('s3://docs/img/')).rejects.toThrow(/no text objects under/);
    await expect(store().resolve('s3://gone/x/')).rejects.toThrow(/no such S3 bucket/);
  });

  it('reads text from a stream body and refuses binary / non-UTF-8 / missing objects', async () => {
    s3.on(GetObjectCommand, { Key: 'a.txt' }).callsFake(() => ({
      Body: body(Buffer.from('héllo 🚀', 'utf8')),
      ContentLength: 11,
      $metadata: meta(200),
    }));
    s3.on(GetObjectCommand, { Key: 'b.dat' }).callsFake(() => ({ Body: body(Buffer.from([1, 0, 2])), $metadata: meta(200) }));
    s3.on(GetObjectCommand, { Key: 'c.txt' }).callsFake(() => ({ Body: body(Buffer.from([0xff, 0xfe, 0x41])), $metadata: meta(200) }));
    s3.on(GetObjectCommand, { Key: 'gone.txt' }).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: meta(404) }),
    );
    expect(await store().readText('s3://docs/a.txt')).toBe('héllo 🚀');
    await expect(store().readText('s3://docs/b.dat')).rejects.toThrow(/s3:\/\/docs\/b\.dat is not a text document: binary/);
    await expect(store().readText('s3://docs/c.txt')).rejects.toThrow(/not valid UTF-8/);
    const err = await store().readText('s3://docs/gone.txt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentError);
    expect((err as Error).cause).toBeInstanceOf(NoSuchKey);
  });

  it('puts artifacts under the results prefix', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"abc"', $metadata: meta(200) });
    expect(await store().putArtifact('run-1/result.json', '{"a":1}')).toBe('s3://results/rlm/run-1/result.json');
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toEqual({
      Bucket: 'results',
      Key: 'rlm/run-1/result.json',
      Body: '{"a":1}',
      ContentType: 'application/json',
    });
    await expect(store().putArtifact('../x', 'y')).rejects.toThrow(DocumentError);
    expect(() => new S3DocumentStore({ client: new S3Client({}), resultsBucket: 'r', resultsPrefix: '' })).not.toThrow();
  });
});
