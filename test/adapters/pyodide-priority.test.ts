/**
 * The sandbox process runs below the CLI's CPU priority (process-priority.ts), every thread of it, read
 * on the host side from /proc; the CLI's own priority is untouched. Linux only (nice is per thread there).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { PyodideSandbox, stopAllPyodideSessions, type PyodideSession } from '../../lambdas/adapters/pyodide';
import { lowerSandboxPriority, SANDBOX_NICE_STEPS } from '../../lambdas/adapters/pyodide/process-priority';
import { FakeSubModel, memoryStore, ref } from './pyodide-fakes';

const linux = process.platform === 'linux' ? describe : describe.skip;

/** Nice value of each thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat, counted after the comm). */
function threadNice(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

afterAll(() => stopAllPyodideSessions());

linux('sandbox CPU priority', () => {
  const own = os.getPriority();
  const expected = Math.min(19, own + SANDBOX_NICE_STEPS);

  it('every thread of a session process runs below the CLI, and its cells still run', async () => {
    const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://doc.txt': 'text' }), subModel: new FakeSubModel(1) });
    const { session } = await sandbox.start({ runId: 'run-priority', documents: [ref('doc.txt')], subModelId: 'fake', subConcurrency: 2, maxCaptureChars: 10_000 });
    const r = await session.execute('print(len(context) * 2)', { timeoutMs: 30_000 });
    expect(r.stdout).toBe('8\n');
    const pid = (session as PyodideSession).pid!;
    const nice = threadNice(pid);
    expect(nice.size).toBeGreaterThan(2); // main thread, the Pyodide worker, V8's thread
    for (const [tid, n] of nice) expect({ tid, nice: n }).toEqual({ tid, nice: expected });
    expect(os.getPriority()).toBe(own);
    await sandbox.closeAll();
  });

  it('lowers a process that already runs threads, each of them, and never raises one', async () => {
    // a node process with a worker thread: its threads exist before the call
    const child = spawn(process.execPath, ['-e', "new (require('worker_threads').Worker)('setTimeout(() => {}, 20000)', { eval: true }); setTimeout(() => {}, 20000)"], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && threadNice(child.pid!).size < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(lowerSandboxPriority(child.pid)).toBe(expected);
      for (const n of threadNice(child.pid!).values()) expect(n).toBe(expected);
      // already lower than asked: left as it is
      expect(lowerSandboxPriority(child.pid, 1)).toBe(Math.min(19, own + 1));
      for (const n of threadNice(child.pid!).values()) expect(n).toBe(expected);
      expect(lowerSandboxPriority(undefined)).toBeUndefined();
    } finally {
      child.kill();
    }
  });
});
