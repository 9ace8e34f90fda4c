/**
 * `rlm batch`: every item's code poisons the sandbox (a marker on `builtins`, a fake module in `sys.modules`,
 * a global, a file) after checking whether an earlier item's poison is there. Items run on sessions reset
 * between items (pyodide_reset.py; test/adapters/pyodide-reuse.test.ts shows they share a process) or, with
 * `--fresh-sandboxes`, on fresh processes; either way every item reports "clean", and when the batch is over
 * no sandbox process (session or spare) is left.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Script } from '../../lambdas/adapters/models';
import { runBatch } from '../../bin/commands/batch';
import { BootSnapshot, defaultSnapshotDir, stopSnapshotMakers } from '../../lambdas/adapters/pyodide/boot-snapshot';
import { SCRIPTED_MODEL_IDS } from '../../bin/cli/run-options';
import { descendants, stillRunning } from '../cli/process-tree';
import { PyodideSandbox, stopAllPyodideSessions } from '../../lambdas/adapters/pyodide';
import { FakeSubModel, memoryStore, ref } from '../adapters/pyodide-fakes';

jest.setTimeout(300_000);

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-batch-iso-'));
const ITEMS = 5;

const check = [
  'import builtins, sys, os',
  'seen = [what for what, hit in [("builtins", hasattr(builtins, "_item_poison")), ("sys.modules", getattr(sys.modules.get("statistics"), "poisoned", False)),',
  '        ("globals", "poisoned_global" in globals()), ("file", os.path.exists("/tmp/poison.txt"))] if hit]',
  'status = "poisoned by an earlier item: " + ", ".join(seen) if seen else "clean"',
  'builtins._item_poison = 1',
  'fake = type(sys)("statistics"); fake.poisoned = True; sys.modules["statistics"] = fake',
  'poisoned_global = 1',
  'open("/tmp/poison.txt", "w").write("x")',
  'print(status)',
].join('\n');

beforeAll(async () => {
  expect(await new BootSnapshot(defaultSnapshotDir()).ensure()).toBe(true); // no snapshot maker left running below
  const script: Script = { root: [{ code: check }, { code: 'FINAL(status)' }] };
  writeFileSync(path.join(dir, 'script.json'), JSON.stringify(script));
  const lines: string[] = [];
  for (let i = 0; i < ITEMS; i++) {
    writeFileSync(path.join(dir, `d${i}.txt`), `document ${i}, possibly hostile`);
    lines.push(JSON.stringify({ id: `item-${i}`, question: 'Is the sandbox clean?', documents: [`d${i}.txt`] }));
  }
  writeFileSync(path.join(dir, 'iso.jsonl'), lines.join('\n') + '\n');
});

afterAll(async () => {
  await stopAllPyodideSessions();
  rmSync(dir, { recursive: true, force: true });
});

test('the check sees every poison when one session runs it twice (so a reused session would be caught)', async () => {
  const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://d': 'doc' }), subModel: new FakeSubModel(1), snapshotDir: defaultSnapshotDir() });
  const { session } = await sandbox.start({ runId: 'same', documents: [ref('d')], subModelId: 'm', subConcurrency: 1, maxCaptureChars: 10_000 });
  expect((await session.execute(check, { timeoutMs: 20_000 })).stdout.trim()).toBe('clean');
  expect((await session.execute(check, { timeoutMs: 20_000 })).stdout.trim()).toBe('poisoned by an earlier item: builtins, sys.modules, globals, file');
  await sandbox.closeAll();
  stopSnapshotMakers();
});

test.each([[1, false], [2, false], [2, true]])('concurrency %i (fresh sandboxes: %s): no item sees an earlier item\'s poison; no sandbox process is left', async (concurrency, fresh) => {
  // Jest reuses its worker process across test files: processes an earlier file left under it are not this batch's
  // (one was esbuild's service, left by kill-kit.ts's bundleCli until a652d9a).
  const key = (p: { pid: number; start: string }) => `${p.pid}:${p.start}`;
  const before = new Set(descendants(process.pid).map(key));
  const { summary, lines } = await runBatch({
    manifest: path.join(dir, 'iso.jsonl'), concurrency, llm: `scripted:${path.join(dir, 'script.json')}`, stateDir: path.join(dir, `state-${concurrency}-${fresh}`),
    outDir: path.join(dir, `out-${concurrency}-${fresh}`), quiet: true, runDefaults: { ...SCRIPTED_MODEL_IDS }, ...(fresh ? { sandbox: { fresh } } : {}),
  }, { stdout: () => undefined, stderr: () => undefined });
  expect(summary.succeeded).toBe(ITEMS);
  expect(lines.map((l) => l.answer)).toEqual(Array(ITEMS).fill('clean'));
  // A boot-snapshot maker (started when ~/.cache/rlm had no snapshot yet, e.g. while another test process was
  // writing it) runs no model code and finishes in the background by design; the check is about sessions.
  stopSnapshotMakers();
  const live = async () => {
    for (let i = 0; i < 50; i++) {
      const left = descendants(process.pid).filter((p) => stillRunning(p) && !before.has(key(p)));
      if (left.length === 0) return left;
      await new Promise((r) => setTimeout(r, 100)); // a killed maker is reaped on the event loop
    }
    return descendants(process.pid).filter((p) => stillRunning(p) && !before.has(key(p)));
  };
  expect(await live()).toEqual([]);
});
