/** Pyodide sandbox: start failures, lost sessions and stopping (real Pyodide, fake sub model). */
import fs from 'node:fs';
import { PyodideSandbox, pyodideSessionCount, stopAllPyodideSessions, type PyodideSession } from '../../lambdas/adapters/pyodide';
import { ConfigError, DocumentError, SandboxSessionLostError } from '../../lambdas/core/errors';
import type { SandboxStartOptions } from '../../lambdas/core/ports';
import { FakeSubModel, memoryStore, ref } from './pyodide-fakes';
import { alive } from './process-alive';

const options = (documents: SandboxStartOptions['documents'], runId = 'run-life'): SandboxStartOptions => ({
  runId,
  documents,
  subModelId: 'fake-sub-model',
  subConcurrency: 2,
  maxCaptureChars: 10_000,
});

const invalidUtf8 = Uint8Array.from([0x61, 0x62, 0xff, 0xfe, 0x63]);
const sandbox = new PyodideSandbox({
  documents: memoryStore({
    'mem://ok.txt': 'fine',
    // a store that decodes strictly and lets the decoder's error through
    'mem://latin1.txt': () => new TextDecoder('utf-8', { fatal: true }).decode(invalidUtf8),
    // a store that produced a lone surrogate (not representable as UTF-8)
    'mem://surrogate.txt': () => 'abc\ud800def',
    'mem://named-error.txt': () => {
      throw new DocumentError('binary file mem://named-error.txt');
    },
  }),
  subModel: new FakeSubModel(5),
  hardKillGraceMs: 1500,
  interruptRetryMs: 300,
});

afterAll(() => stopAllPyodideSessions());

describe('start failures', () => {
  it.each([
    ['latin1.txt', /document "latin1\.txt".*not.*UTF-8|document "latin1\.txt".*could not be read/],
    ['surrogate.txt', /document "surrogate\.txt".*not valid UTF-8/],
    ['named-error.txt', /binary file mem:\/\/named-error\.txt/],
  ])('%s -> DocumentError naming the document, no session left behind', async (name, message) => {
    const before = pyodideSessionCount();
    const err = await sandbox.start(options([ref('ok.txt'), ref(name)])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentError);
    expect((err as Error).message).toMatch(message);
    expect(pyodideSessionCount()).toBe(before);
  });
});

describe('lost sessions', () => {
  it('a cell that swallows the interrupt is stopped after the grace period and the session is lost', async () => {
    const { session } = await sandbox.start(options([ref('ok.txt')], 'run-stubborn'));
    expect((await session.execute('kept = 1', { timeoutMs: 5000 })).raised).toBe(false);
    const t0 = Date.now();
    const r = await session.execute(
      'caught = 0\nwhile True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        caught += 1',
      { timeoutMs: 500 },
    );
    const elapsed = Date.now() - t0;
    expect(r.timedOut).toBe(true);
    expect(r.stderr).toContain('ignored the interrupt');
    expect(r.notices?.join(' ')).toContain('session was lost');
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
    await expect(session.execute('kept', { timeoutMs: 1000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
    await expect(sandbox.resume(session.sessionId, options([]))).rejects.toBeInstanceOf(SandboxSessionLostError);
    await sandbox.stop(session.sessionId); // still idempotent on a lost session
  });

  it('starts without documents; stopping during a cell ends that cell as data', async () => {
    const { session, loaded } = await sandbox.start(options([], 'run-empty'));
    expect(loaded).toEqual({ documents: [], totalChars: 0, preview: '' });
    expect((await session.execute('print(repr(context), len(documents))', { timeoutMs: 5000 })).stdout).toBe("'' 0\n");
    const pending = session.execute('while True:\n    pass', { timeoutMs: 60_000 });
    await new Promise((res) => setTimeout(res, 200));
    await sandbox.closeAll();
    const r = await pending;
    expect(r.notices?.join(' ')).toContain('session was lost');
    await expect(sandbox.resume(session.sessionId, options([]))).rejects.toBeInstanceOf(SandboxSessionLostError);
  });
});

describe('process and memory', () => {

  it('refuses a memory limit Pyodide cannot boot in', () => {
    expect(() => new PyodideSandbox({ documents: memoryStore({}), subModel: new FakeSubModel(1), memoryLimitMb: 64 })).toThrow(ConfigError);
  });

  it('each session is its own process with an empty environment; past the cap is a MemoryError; close returns the memory', async () => {
    process.env.RLM_LIFECYCLE_CANARY = 'must-not-leak';
    const small = new PyodideSandbox({ documents: memoryStore({ 'mem://ok.txt': 'fine' }), subModel: new FakeSubModel(1), memoryLimitMb: 512 });
    const { session } = await small.start(options([ref('ok.txt')], 'run-memory'));
    const pid = (session as PyodideSession).pid!;
    expect(pid).not.toBe(process.pid);
    expect(alive(pid)).toBe(true);
    const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(env).not.toContain('must-not-leak');
    const r = await session.execute('try:\n    x = bytearray(600 * 1024 * 1024)\nexcept MemoryError:\n    print("MemoryError")\ny = bytearray(50 * 1024 * 1024)\nprint(len(y))', { timeoutMs: 30_000 });
    expect(r.stdout).toBe('MemoryError\n52428800\n');
    await small.closeAll();
    expect(alive(pid)).toBe(false);
    delete process.env.RLM_LIFECYCLE_CANARY;
  });

  it('a JavaScript-heap bomb loses only that session (the model is told why); the host goes on', async () => {
    const small = new PyodideSandbox({ documents: memoryStore({ 'mem://ok.txt': 'fine' }), subModel: new FakeSubModel(1), memoryLimitMb: 512 });
    const { session } = await small.start(options([ref('ok.txt')], 'run-js-bomb'));
    const pid = (session as PyodideSession).pid!;
    const bomb = 'import gc, types\nffi = [o for o in gc.get_objects() if isinstance(o, types.ModuleType) and o.__name__ == "pyodide.ffi"][0]\nkeep = []\nwhile True:\n    keep.append(ffi.to_js(list(range(2_000_000))))';
    const r = await session.execute(bomb, { timeoutMs: 150_000 });
    expect(r.notices?.join(' ')).toContain('session was lost');
    expect(r.stderr).toMatch(/out of memory|MemoryError/);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
    expect(alive(pid)).toBe(false);
    await expect(session.execute('1', { timeoutMs: 1000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
    const again = await small.start(options([ref('ok.txt')], 'run-js-bomb-2'));
    expect((await again.session.execute('print(context)', { timeoutMs: 5000 })).stdout).toBe('fine\n');
    await small.closeAll();
  }, 240_000); // the bomb takes 40-75 s to hit the heap limit under a load average of 20-25
});
