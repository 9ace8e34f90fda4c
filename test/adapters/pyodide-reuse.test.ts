/**
 * Reused sessions (`reuseSessions`, what `rlm batch` and `rlm eval` use): a session whose run ended is reset in
 * place and serves the next start in the same sandbox process, with nothing of the last run left; a session
 * whose code used introspection that could reach past the reset is stopped instead. Real Pyodide processes,
 * checked from the host (process IDs, /proc).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { PyodideSandbox, stopAllPyodideSessions } from '../../lambdas/adapters/pyodide';
import type { SandboxSession, SandboxStartOptions } from '../../lambdas/core/ports';
import { alive } from './process-alive';
import { FakeSubModel, memoryStore, ref } from './pyodide-fakes';

const snapshotDir = mkdtempSync(path.join(os.tmpdir(), 'rlm-reuse-snap-'));
const model = new FakeSubModel(5);
const docs: Record<string, string> = {};
for (let i = 0; i < 6; i++) docs[`mem://d${i}.txt`] = `document ${i}: ${'secret-' + i} ` + 'x'.repeat(200);
const sandbox = new PyodideSandbox({ documents: memoryStore(docs), subModel: model, snapshotDir, warmSessions: 1, reuseSessions: true });
const optionsFor = (i: number): SandboxStartOptions => ({ runId: `reuse-${i}`, documents: [ref(`d${i}.txt`)], subModelId: 'fake-sub-model', subConcurrency: 2, maxCaptureChars: 10_000 });
const pidOf = (s: SandboxSession) => (s as unknown as { pid: number }).pid;
const run = (s: SandboxSession, code: string) => s.execute(code, { timeoutMs: 20_000 });

afterAll(async () => {
  await sandbox.closeAll();
  await stopAllPyodideSessions();
  rmSync(snapshotDir, { recursive: true, force: true });
});

test('the next run gets the same process, reset: no variables, patches or documents of the last run', async () => {
  const first = (await sandbox.start(optionsFor(0))).session;
  const r1 = await run(first, [
    "print(llm_query('one'))", 'kept = context', 'import textwrap, json, sys, os', "textwrap.dedent = lambda *a: 'evil'", "json._default_decoder.scan_once = lambda *a: (0, 0)",
    "sys.path.append('/evil')", "os.environ['LEAK'] = context[:20]",
  ].join('\n'));
  expect(r1.stdout).toBe('echo:one\n');
  expect(r1.sub.calls).toBe(1);
  await sandbox.stop(first.sessionId);

  const second = (await sandbox.start(optionsFor(1))).session;
  expect(pidOf(second)).toBe(pidOf(first));
  const r2 = await run(second, [
    'import textwrap, json, sys, os',
    "print(textwrap.dedent('  a'), json.loads('[1]'), '/evil' in sys.path, os.environ.get('LEAK'), 'kept' in dir())",
    "print(context[:10], sorted(documents), 'secret-0' in context)", "print(llm_query('two'))",
  ].join('\n'));
  expect(r2.stderr).toBe('');
  expect(r2.stdout).toBe("a [1] False None False\ndocument 1 ['d1.txt'] False\necho:two\n");
  expect(r2.sub.calls).toBe(1); // counted for this run only
  await sandbox.stop(second.sessionId);
});

test('a run whose code walked the heap (gc) is not reused: its process is stopped, the next run gets another', async () => {
  const s = (await sandbox.start(optionsFor(2))).session;
  const pid = pidOf(s);
  expect((await run(s, 'import gc\nn = len(gc.get_objects())\nprint(n > 0)')).stdout).toBe('True\n');
  await sandbox.stop(s.sessionId); // the reset runs in the background: its refusal stops the process soon after
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  expect(alive(pid)).toBe(false);
  const next = (await sandbox.start(optionsFor(3))).session;
  expect(pidOf(next)).not.toBe(pid);
  expect((await run(next, 'print(context[:10])')).stdout).toBe('document 3\n');
  await sandbox.stop(next.sessionId);
});

test('a session lost mid-run is not reused; a timed-out cell does not stop reuse', async () => {
  const s = (await sandbox.start(optionsFor(4))).session;
  const t = await s.execute('import time\ntime.sleep(30)', { timeoutMs: 300 });
  expect(t.timedOut).toBe(true);
  await sandbox.stop(s.sessionId);
  const again = (await sandbox.start(optionsFor(5))).session;
  expect(pidOf(again)).toBe(pidOf(s));
  expect((await run(again, 'print(context[:10])')).stdout).toBe('document 5\n');
  process.kill(pidOf(again), 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  await sandbox.stop(again.sessionId);
  const fresh = (await sandbox.start(optionsFor(0))).session;
  expect(pidOf(fresh)).not.toBe(pidOf(again));
  expect((await run(fresh, 'print(context[:10])')).stdout).toBe('document 0\n');
});
