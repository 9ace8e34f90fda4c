/**
 * Local document files read by the sandbox process itself (issue 13): the host checks each file as text
 * when it resolves it and reads only its first bytes for the preview; the process, allowed to read
 * exactly those files, reads them into the interpreter's heap and checks them again. Real Pyodide, real
 * files, a store whose whole-document reads throw (so nothing can come from the host).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PyodideSandbox, stopAllPyodideSessions, type PyodideSession } from '../../lambdas/adapters/pyodide';
import { LocalDocumentStore } from '../../lambdas/adapters/documents/local-document-store';
import { DocumentError } from '../../lambdas/core/errors';
import type { SandboxStartOptions } from '../../lambdas/core/ports';
import type { DocumentRef } from '../../lambdas/core/types';
import { FakeSubModel } from './pyodide-fakes';

jest.setTimeout(180_000);

/** The local store, except that the host can never read a whole document. */
class HeadOnlyStore extends LocalDocumentStore {
  override async readText(): Promise<string> {
    throw new Error('the host read a whole document');
  }
  override async readTextBytes(): Promise<never> {
    throw new Error('the host read a whole document');
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-docfiles-'));
const store = new HeadOnlyStore({ artifactsDir: path.join(dir, 'artifacts') });
const options = (documents: DocumentRef[], runId: string): SandboxStartOptions => ({
  runId, documents, subModelId: 'fake-sub-model', subConcurrency: 2, maxCaptureChars: 10_000,
});
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const cmdline = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

async function resolveAll(...files: string[]): Promise<DocumentRef[]> {
  return (await Promise.all(files.map((f) => store.resolve(f)))).flat();
}

afterAll(async () => {
  await stopAllPyodideSessions();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('ASCII, non-ASCII with a byte-order mark, empty and one-character files load byte for byte from their files', async () => {
  const ascii = path.join(dir, 'ascii.txt');
  const mixed = path.join(dir, 'mixed.md');
  const empty = path.join(dir, 'empty.txt');
  const one = path.join(dir, 'one.txt');
  const link = path.join(dir, 'link-to-ascii.txt');
  const asciiText = 'line of plain ASCII text, NEEDLE-1\n'.repeat(40_000); // 1.4 MB: several reads, the in-place path
  const mixedText = 'aé€😀 mixed\n'.repeat(30_000);
  fs.writeFileSync(ascii, asciiText);
  fs.writeFileSync(mixed, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(mixedText)]));
  fs.writeFileSync(empty, '');
  fs.writeFileSync(one, 'x');
  fs.symlinkSync(ascii, link);
  const refs = await resolveAll(ascii, mixed, empty, one, link);
  const sandbox = new PyodideSandbox({ documents: store, subModel: new FakeSubModel(1) });
  const { session, loaded } = await sandbox.start(options(refs, 'run-files'));
  expect(loaded.documents.map((d) => d.chars)).toEqual([asciiText.length, [...mixedText].length, 0, 1, asciiText.length]);
  const r = await session.execute(
    'import hashlib\n' +
      'print([(k, len(v), hashlib.sha256(v.encode()).hexdigest()) for k, v in documents.items()])\n' +
      'print(len(context), context[:80] == ' + JSON.stringify(loaded.preview.slice(0, 80)) + ')\n' +
      `try:\n    open(${JSON.stringify(ascii)})\n    print('model code read the file')\nexcept OSError as e:\n    print('refused', type(e).__name__)`,
    { timeoutMs: 30_000 },
  );
  expect(r.stderr).toBe('');
  // read once the process runs its own command line (right after the spawn it may still be the fork's)
  const readable = cmdline((session as PyodideSession).pid!).filter((a) => a.startsWith('--allow-fs-read=')).map((a) => a.slice('--allow-fs-read='.length));
  for (const f of [ascii, mixed, empty, one, link]) expect(readable).toContain(f);
  expect(readable.filter((p) => p.startsWith(dir))).toHaveLength(5); // the symlink (its target is ascii.txt), nothing else of the folder
  const names = ['ascii.txt', 'mixed.md', 'empty.txt', 'one.txt', 'link-to-ascii.txt'];
  const texts = [asciiText, mixedText, '', 'x', asciiText];
  expect(r.stdout.split('\n')[0]).toBe(`[${names.map((n, i) => `('${n}', ${[...texts[i]!].length}, '${sha(texts[i]!)}')`).join(', ')}]`);
  expect(r.stdout.split('\n')[1]).toBe(`${loaded.totalChars} True`);
  expect(r.stdout).toMatch(/refused (FileNotFoundError|PermissionError|OSError)/);
  await sandbox.closeAll();
});

test.each([
  ['an ASCII file grown by a byte', (f: string) => fs.appendFileSync(f, 'y'), /changed since it was checked/],
  ['an ASCII file rewritten with a non-ASCII byte of the same size', (f: string) => fs.writeFileSync(f, 'é' + 'x'.repeat(99_998)), /changed since it was checked \(it is no longer the ASCII text/],
  ['an ASCII file that gained a NUL byte', (f: string) => fs.writeFileSync(f, 'x'.repeat(50_000) + '\0' + 'x'.repeat(49_999)), /binary content \(NUL byte at offset 50,?000\)/],
  ['a non-ASCII file whose text changed length', (f: string) => fs.writeFileSync(f, 'é'.repeat(40_000) + 'xx'), /changed since it was checked/],
  ['a file made invalid UTF-8', (f: string) => fs.writeFileSync(f, Buffer.concat([Buffer.from('é'.repeat(40_000)), Buffer.from([0xff])])), /not valid UTF-8/],
])('%s after it was checked fails the first cell with DocumentError', async (_label, change, message) => {
  const file = path.join(dir, `changed-${Math.random().toString(36).slice(2)}.txt`);
  fs.writeFileSync(file, _label.startsWith('an ASCII') ? 'x'.repeat(100_000) : 'é'.repeat(40_001));
  const refs = await resolveAll(file);
  change(file);
  const sandbox = new PyodideSandbox({ documents: store, subModel: new FakeSubModel(1) });
  const { session } = await sandbox.start(options(refs, 'run-changed'));
  const err = await session.execute('print(len(context))', { timeoutMs: 10_000 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DocumentError);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).toContain(path.basename(file));
  await sandbox.closeAll();
});

test('a path Node would read as a list (a comma) is sent as bytes instead, and still loads', async () => {
  const sub = path.join(dir, 'a,b');
  fs.mkdirSync(sub);
  const file = path.join(sub, 'c.txt');
  fs.writeFileSync(file, 'comma path\n'.repeat(1000));
  const refs = await resolveAll(file);
  const bytesStore = new LocalDocumentStore({ artifactsDir: path.join(dir, 'artifacts') });
  const sandbox = new PyodideSandbox({ documents: bytesStore, subModel: new FakeSubModel(1) });
  const { session } = await sandbox.start(options(refs, 'run-comma'));
  const r = await session.execute('print(len(context), context.count("comma"))', { timeoutMs: 30_000 });
  expect(r.stdout).toBe('11000 1000\n');
  expect(cmdline((session as PyodideSession).pid!).some((a) => a.includes('--allow-fs-read=/'))).toBe(true);
  expect(cmdline((session as PyodideSession).pid!).some((a) => a.includes('a,b'))).toBe(false);
  await sandbox.closeAll();
});

test('a document file past the memory cap fails the first cell with DocumentError (the cap holds on this path too)', async () => {
  // 256 MiB cap: 128 MiB for CPython's heap, less than the interpreter and 110M characters of ASCII.
  const file = path.join(dir, 'too-big.txt');
  fs.writeFileSync(file, 'x'.repeat(110_000_000));
  const refs = await resolveAll(file);
  const sandbox = new PyodideSandbox({ documents: store, subModel: new FakeSubModel(1), memoryLimitMb: 256 });
  const { session, loaded } = await sandbox.start(options(refs, 'run-file-too-big'));
  expect(loaded.totalChars).toBe(110_000_000);
  const err = await session.execute('print(len(context))', { timeoutMs: 10_000 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DocumentError);
  expect((err as Error).message).toMatch(/too-big\.txt.*could not be loaded into the sandbox: MemoryError/);
  await sandbox.closeAll();
  fs.rmSync(file);
});
