/**
 * Pyodide boot snapshot and warm spares (real Pyodide processes, fake sub model): a session restored
 * from the snapshot behaves as a cold one and keeps the lockdown; a damaged snapshot falls back to a
 * cold boot and is dropped; a warm spare serves one run only, so item 1's poisoning never reaches item 2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PyodideSandbox, stopAllPyodideSessions, type PyodideSession } from '../../lambdas/adapters/pyodide';
import { snapshotFileName } from '../../lambdas/adapters/pyodide/boot-snapshot';
import type { SandboxStartOptions } from '../../lambdas/core/ports';
import { FakeSubModel, memoryStore, ref } from './pyodide-fakes';
import { alive } from './process-alive';

jest.setTimeout(180_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-snapshot-test-'));
const documents = memoryStore({ 'mem://one.txt': 'item one document', 'mem://two.txt': 'item two document' });
const start = (runId: string, doc: string): SandboxStartOptions => ({
  runId, documents: [ref(doc)], subModelId: 'fake-sub-model', subConcurrency: 2, maxCaptureChars: 10_000,
});
const out = async (s: { execute: PyodideSession['execute'] }, code: string) => {
  const r = await s.execute(code, { timeoutMs: 20_000 });
  if (r.raised) throw new Error(`cell raised: ${r.stderr}`);
  return r.stdout.trim();
};

afterAll(async () => {
  await stopAllPyodideSessions();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('boot snapshot', () => {
  const sandbox = new PyodideSandbox({ documents, subModel: new FakeSubModel(1), snapshotDir: dir });

  it('is made once, named after the Pyodide version and the prelude hash', async () => {
    expect(await sandbox.snapshot!.ensure()).toBe(true);
    const file = path.join(dir, snapshotFileName());
    expect(sandbox.snapshot!.file).toBe(file);
    expect(fs.statSync(file).size).toBeGreaterThan(1_000_000);
    expect(snapshotFileName('# another prelude')).not.toBe(snapshotFileName());
    expect(fs.readdirSync(dir)).toEqual([path.basename(file)]); // no temporary file left
  });

  it('a restored session has the prelude, its documents, sub-calls and the lockdown', async () => {
    const { session, loaded } = await sandbox.start(start('run-snap', 'one.txt'));
    await (session as PyodideSession).ready(); // lastStart is known once the session booted
    expect(sandbox.lastStart?.fromSnapshot).toBe(true);
    expect(loaded.totalChars).toBe('item one document'.length);
    expect(await out(session, 'print(context, callable(FINAL_VAR), callable(llm_query_batched))')).toBe('item one document True True');
    // the warm-up after a snapshot boot (pyodide_helpers.py) ran in a namespace of its own: the model's is as a cold boot leaves it
    expect(await out(session, 'print(sorted(k for k in globals() if k in ("text", "counts", "w", "re", "warm_up")))')).toBe('[]');
    expect(await out(session, 'print(llm_query("hi")[:4] != "", SHOW_VARS is not None)')).toBe('True True');
    expect(await out(session, 'try:\n    import js\n    print("js reachable")\nexcept ImportError:\n    print("blocked")')).toBe('blocked');
    expect(await out(session, 'import os\nprint(os.system("true"))')).not.toBe('0');
    await sandbox.stop(session.sessionId);
  });

  it('a damaged snapshot: the session boots cold, works, and the file is dropped and made again', async () => {
    const file = sandbox.snapshot!.file;
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 7));
    const { session } = await sandbox.start(start('run-damaged', 'two.txt'));
    await (session as PyodideSession).ready();
    expect(sandbox.lastStart?.fromSnapshot).toBe(false);
    expect(await out(session, 'print(context)')).toBe('item two document');
    await sandbox.stop(session.sessionId);
    for (let i = 0; i < 100 && fs.existsSync(file) && fs.statSync(file).size === 64 * 1024; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await sandbox.snapshot!.ensure()).toBe(true);
    expect(fs.statSync(file).size).toBeGreaterThan(1_000_000);
  });
});

describe('warm spares', () => {
  const sandbox = new PyodideSandbox({ documents, subModel: new FakeSubModel(1), snapshotDir: dir, warmSessions: 1 });

  it("item 1's code poisons builtins, sys.modules, globals and files; item 2 (a warm spare) sees none of it", async () => {
    const first = await sandbox.start(start('item-1', 'one.txt'));
    const one = first.session as PyodideSession;
    await one.ready(); // spares boot once the session has
    expect(sandbox.lastStart?.warm).toBe(false);
    expect(sandbox.pool!.spareCount).toBe(1);
    const sparePid = sandbox.pool!.sparePids[0]!;
    const poison = [
      'import builtins, sys, os, textwrap',
      'builtins.len = lambda *a: 42',
      'builtins.print_secret = "from item 1"',
      'sys.modules["statistics"] = type(sys)("statistics")',
      'textwrap.dedent = lambda *a, **k: "poisoned"',
      'poisoned_global = "item 1 was here"',
      'os.makedirs("/home/pyodide", exist_ok=True)',
      'open("/home/pyodide/left-behind.txt", "w").write("item 1")',
      'open("/tmp/left-behind.txt", "w").write("item 1")',
      'print(len("abc"))',
    ].join('\n');
    expect(await out(one, poison)).toBe('42');
    await sandbox.stop(one.sessionId);
    expect(alive(one.pid!)).toBe(false);

    const second = await sandbox.start(start('item-2', 'two.txt'));
    const two = second.session as PyodideSession;
    await two.ready();
    expect(sandbox.lastStart?.warm).toBe(true);
    expect(two.pid).toBe(sparePid);
    expect(two.sessionId).toMatch(/^pyodide-item-2-/);
    const check = [
      'import builtins, sys, os, textwrap, statistics',
      'print(len("abc"), hasattr(builtins, "print_secret"), "poisoned_global" in globals(), hasattr(statistics, "mean"),',
      '      textwrap.dedent("  a"), os.path.exists("/home/pyodide/left-behind.txt"), os.path.exists("/tmp/left-behind.txt"), context)',
    ].join('\n');
    expect(await out(two, check)).toBe('3 False False True a False False item two document');
    await sandbox.stop(two.sessionId);
  });

  it('spares are replaced as they are taken, and stopped with the sandbox', async () => {
    expect(sandbox.pool!.spareCount).toBe(1);
    const pids = sandbox.pool!.sparePids as number[];
    expect(alive(pids[0]!)).toBe(true);
    await sandbox.closeAll();
    expect(sandbox.pool!.spareCount).toBe(0);
    expect(alive(pids[0]!)).toBe(false);
  });
});
