/**
 * Start ordering of the Pyodide sandbox (issue 13): `start()` resolves once the documents were read, with
 * the context described host-side, while Pyodide still boots; cells wait for the boot; what makes the
 * boot or the document install fail comes out of `execute` (real Pyodide, in-memory documents).
 */
import { createHash } from 'node:crypto';
import { PyodideSandbox, stopAllPyodideSessions, type PyodideSession } from '../../lambdas/adapters/pyodide';
import { DOC_PART_BYTES } from '../../lambdas/adapters/pyodide/pyodide-session';
import { DocumentError, SandboxSessionLostError } from '../../lambdas/core/errors';
import { CONTEXT_PREVIEW_CHARS, type SandboxStartOptions } from '../../lambdas/core/ports';
import { FakeSubModel, memoryStore, ref } from './pyodide-fakes';

jest.setTimeout(120_000);

const options = (documents: SandboxStartOptions['documents'], runId: string): SandboxStartOptions => ({
  runId, documents, subModelId: 'fake-sub-model', subConcurrency: 2, maxCaptureChars: 10_000,
});

afterAll(() => stopAllPyodideSessions());

test('start() describes the context before the boot ends; the first cell waits for it and sees that context', async () => {
  const docs = { 'mem://a.md': '# notes\n' + 'é'.repeat(300), 'mem://b.txt': '😀 second\n'.repeat(80) };
  const sandbox = new PyodideSandbox({ documents: memoryStore(docs), subModel: new FakeSubModel(1) });
  const { session, loaded } = await sandbox.start(options([ref('a.md'), ref('b.txt')], 'run-order'));
  let ready = false;
  void (session as PyodideSession).ready().then(() => (ready = true));
  await new Promise((r) => setImmediate(r));
  // Pyodide takes seconds to boot: nothing has been installed yet, and no start timing was recorded.
  expect(ready).toBe(false);
  expect(sandbox.lastStart).toBeNull();
  expect(loaded.documents.map((d) => [d.name, d.chars])).toEqual([['a.md', 308], ['b.txt', 720]]);
  const r = await session.execute(`print(len(context)); print([len(documents[k]) for k in documents]); print(context[:${CONTEXT_PREVIEW_CHARS}] == ${JSON.stringify(loaded.preview)})`, { timeoutMs: 10_000 });
  expect(r.stdout).toBe(`${loaded.totalChars}\n[308, 720]\nTrue\n`);
  expect(ready).toBe(true);
  expect(sandbox.lastStart?.bootMs).toBeGreaterThan(0);
  await sandbox.closeAll();
});

test('a document larger than one IPC slice arrives byte for byte (slices end inside multi-byte characters)', async () => {
  // 2.5 MiB of 1-, 2-, 3- and 4-byte characters: the 1 MiB slice boundaries fall inside sequences.
  const text = 'aé€😀'.repeat(Math.ceil((2.5 * DOC_PART_BYTES) / 10));
  const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://mixed.txt': text }), subModel: new FakeSubModel(1) });
  const { session, loaded } = await sandbox.start(options([ref('mixed.txt')], 'run-slices'));
  const r = await session.execute('import hashlib\nprint(len(context), hashlib.sha256(context.encode()).hexdigest())', { timeoutMs: 30_000 });
  expect(r.stdout).toBe(`${loaded.totalChars} ${createHash('sha256').update(text, 'utf8').digest('hex')}\n`);
  expect(loaded.totalChars).toBe([...text].length);
  await sandbox.closeAll();
});

test('a document the sandbox cannot hold fails the first cell with DocumentError; the session is then lost', async () => {
  // 256 MiB cap: 128 MiB for CPython's heap, less than the bytes and the decoded text of 70M characters.
  const big = 'x'.repeat(70_000_000);
  const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://big.txt': big }), subModel: new FakeSubModel(1), memoryLimitMb: 256 });
  const { session, loaded } = await sandbox.start(options([ref('big.txt')], 'run-too-big'));
  expect(loaded.totalChars).toBe(70_000_000);
  const err = await session.execute('print(len(context))', { timeoutMs: 10_000 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DocumentError);
  expect((err as Error).message).toMatch(/big\.txt.*could not be loaded into the sandbox/);
  await expect(session.execute('1', { timeoutMs: 1000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
  await expect(sandbox.resume(session.sessionId, options([], 'run-too-big'))).rejects.toBeInstanceOf(SandboxSessionLostError);
  await sandbox.closeAll();
});

test('a session stopped while it boots ends its waiting cell as a lost session', async () => {
  const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://ok.txt': 'fine' }), subModel: new FakeSubModel(1) });
  const { session } = await sandbox.start(options([ref('ok.txt')], 'run-stopped-early'));
  const waiting = session.execute('print(1)', { timeoutMs: 10_000 }).catch((e: unknown) => e);
  await sandbox.stop(session.sessionId);
  expect(await waiting).toBeInstanceOf(SandboxSessionLostError);
});
