/**
 * Pyodide sandbox, one shared session (real Pyodide in its own sandbox process, fake sub model, in-memory
 * documents). Tests run in order and build on each other's variables where noted.
 */
import net from 'node:net';
import { PyodideSandbox, stopAllPyodideSessions } from '../../lambdas/adapters/pyodide';
import { SandboxSessionLostError } from '../../lambdas/core/errors';
import { CONTEXT_PREVIEW_CHARS, type LoadedContext, type SandboxSession, type SandboxStartOptions } from '../../lambdas/core/ports';
import { FakeSubModel, memoryStore, ref } from './pyodide-fakes';

const CONCURRENCY = 3;
const docA = 'alpha line\nERROR 1 disk\nERROR 22 net\n' + 'x'.repeat(600);
const docB = 'é😀 beta';
const model = new FakeSubModel(30);
const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://a.log': docA, 'mem://b.txt': docB }), subModel: model });
const startOptions: SandboxStartOptions = {
  runId: 'run-shared',
  documents: [ref('a.log'), ref('b.txt')],
  subModelId: 'fake-sub-model',
  subConcurrency: CONCURRENCY,
  maxCaptureChars: 100_000,
};
let session: SandboxSession;
let loaded: LoadedContext;

const run = (code: string, timeoutMs = 10_000) => session.execute(code, { timeoutMs });

beforeAll(async () => {
  process.env.RLM_HOST_ONLY_SECRET = 'host-secret-value';
  ({ session, loaded } = await sandbox.start(startOptions));
});

afterAll(async () => {
  delete process.env.RLM_HOST_ONLY_SECRET;
  await stopAllPyodideSessions();
});

beforeEach(() => model.reset());

describe('documents', () => {
  it('reports exact Python character counts, the total and the preview', async () => {
    expect(loaded.documents.map((d) => [d.name, d.uri, d.chars])).toEqual([
      ['a.log', 'mem://a.log', docA.length],
      ['b.txt', 'mem://b.txt', [...docB].length], // the emoji is one Python character, two UTF-16 units
    ]);
    const ctx = await run('print(len(context))');
    expect(Number(ctx.stdout)).toBe(loaded.totalChars);
    expect(loaded.preview).toHaveLength(CONTEXT_PREVIEW_CHARS);
    expect(loaded.preview.startsWith('===== DOCUMENT 1/2: a.log')).toBe(true);
  });

  it('exposes `documents` as a name -> text mapping and `context` with separators', async () => {
    const r = await run(
      'print(sorted(documents)); print(documents["b.txt"] == "é😀 beta"); print(context.count("===== DOCUMENT ")); print(type(documents).__name__)',
    );
    expect(r.stdout).toBe("['a.log', 'b.txt']\nTrue\n2\nmappingproxy\n");
    const preview = await run(`print(context[:${CONTEXT_PREVIEW_CHARS}] == ${JSON.stringify(loaded.preview)})`);
    expect(preview.stdout).toBe('True\n');
  });
});

describe('cells', () => {
  it('keeps variables across cells and echoes the last expression', async () => {
    expect((await run('counter = 41')).stdout).toBe('');
    const r = await run('counter += 1\ncounter');
    expect(r).toMatchObject({ stdout: '42\n', stderr: '', raised: false, timedOut: false });
    expect((await run('None')).stdout).toBe('');
  });

  it('returns exceptions as data: traceback in stderr, raised, session fine', async () => {
    const r = await run('def f():\n    return 1 / 0\nf()');
    expect(r.raised).toBe(true);
    expect(r.stderr).toContain('ZeroDivisionError: division by zero');
    expect(r.stderr).toContain('File "<cell>", line 2, in f');
    expect((await run('counter')).stdout).toBe('42\n');
  });

  it('records FINAL and FINAL_VAR; a missing FINAL_VAR name is an error without final', async () => {
    const a = await run('FINAL("the answer")');
    expect(a.final).toEqual({ value: 'the answer' });
    const b = await run('answer_text = "from var"\nFINAL_VAR("answer_text")');
    expect(b.final).toEqual({ value: 'from var', variable: 'answer_text' });
    const c = await run('FINAL_VAR("no_such_name")');
    expect(c.final).toBeUndefined();
    expect(c.raised).toBe(true);
    expect(c.stderr).toContain("NameError: FINAL_VAR: no variable named 'no_such_name'");
  });

  it('input() reads end-of-file instead of waiting for the host terminal', async () => {
    const r = await run('input("name? ")', 3000);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toContain('EOFError');
  });

  it('restores overwritten llm_query and context', async () => {
    const r = await run('llm_query = 5\ncontext = "clobbered"');
    expect(r.notices?.join(' ')).toMatch(/Restored built-in names.*llm_query.*context|Restored built-in names.*context.*llm_query/);
    const after = await run('print(callable(llm_query), context.startswith("===== DOCUMENT 1/2"))');
    expect(after.stdout).toBe('True True\n');
  });
});

describe('llm_query bridge', () => {
  it('returns the sub model reply and accounts the call', async () => {
    const r = await run('reply = llm_query("hello there")\nprint(reply)');
    expect(r.stdout).toBe('echo:hello there\n');
    expect(r.sub).toMatchObject({ calls: 1, errors: 0, inputTokens: 'hello there'.length, outputTokens: 'echo:hello there'.length });
    expect(r.sub.records[0]).toMatchObject({ model: 'fake-sub-model', promptPreview: 'hello there', responsePreview: 'echo:hello there' });
    expect(model.calls[0]).toMatchObject({ role: 'sub', modelId: 'fake-sub-model' });
    const budget = { allowedModels: ['fake-sub-model', 'other-model'] };
    const other = await session.execute('llm_query("q", model="other-model")', { timeoutMs: 10_000, budget });
    expect(other.sub.records[0]?.model).toBe('other-model');
    expect(model.calls[1]?.modelId).toBe('other-model');
  });

  it('refuses a model that is not allowed, without calling it', async () => {
    const before = model.calls.length;
    const r = await run('print(llm_query("q", model="sneaky-model"))');
    expect(r.stdout).toMatch(/^Error: model sneaky-model is not allowed/);
    expect(r.sub.calls).toBe(0);
    expect(model.calls.length).toBe(before);
  });

  it('llm_query_batched keeps order, bounds concurrency and isolates a failing prompt', async () => {
    const r = await run(
      'prompts = ["p%d" % i for i in range(12)]\nprompts[5] = "fail-5"\nout = llm_query_batched(prompts)\nfor o in out: print(o)',
    );
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(12);
    lines.forEach((line, i) => {
      if (i === 5) expect(line).toBe('Error: ModelThrottledError: throttled on fail-5');
      else expect(line).toBe(`echo:p${i}`);
    });
    expect(model.maxInFlight).toBe(CONCURRENCY);
    expect(r.sub).toMatchObject({ calls: 12, errors: 1 });
    expect(r.sub.records[5]?.error).toContain('throttled');
  });
});

describe('time limits', () => {
  it('interrupts a busy loop and keeps earlier variables', async () => {
    const t0 = Date.now();
    const r = await run('before_loop = "kept"\nwhile True:\n    pass', 1000);
    expect(r.timedOut).toBe(true);
    expect(r.raised).toBe(false);
    expect(r.stderr).toContain('TimeoutError: the cell ran longer than 1s and was interrupted');
    expect(Date.now() - t0).toBeLessThan(4000);
    expect((await run('print(before_loop, counter)')).stdout).toBe('kept 42\n');
  });

  it('interrupts a cell blocked in a slow llm_query, and drops the late reply', async () => {
    const t0 = Date.now();
    const r = await run('slow_reply = llm_query("slow:2500")', 800);
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    const next = await run('print(llm_query("after"))\nprint("slow_reply" in dir())');
    expect(next.stdout).toBe('echo:after\nFalse\n');
    await new Promise((res) => setTimeout(res, 1800)); // let the abandoned call finish
    expect((await run('print(llm_query("later"))')).stdout).toBe('echo:later\n');
  });

  it('interrupts time.sleep without burning the limit', async () => {
    const r = await run('import time\ntime.sleep(30)', 700);
    expect(r.timedOut).toBe(true);
    expect((await run('import time\nt = time.time(); time.sleep(0.2); print(round(time.time() - t, 1))')).stdout).toBe('0.2\n');
  });
});

describe('isolation', () => {
  it('cannot read host files', async () => {
    const r = await run(`import os\nprint(os.path.exists("/etc/passwd"), os.path.exists(${JSON.stringify(process.cwd() + '/package.json')}))`);
    expect(r.stdout).toBe('False False\n');
  });

  it('does not see the host environment', async () => {
    const r = await run('import os, json\nprint(json.dumps(dict(os.environ)))');
    const env = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.values(env)).not.toContain('host-secret-value');
    expect(env.PATH).not.toBe(process.env.PATH);
    expect(Object.keys(env)).not.toContain('RLM_HOST_ONLY_SECRET');
  });

  it.each(['import js', 'import pyodide_js', 'from pyodide.code import run_js', 'from pyodide.http import pyfetch', 'import micropip'])(
    '%s fails',
    async (code) => {
      const r = await run(code);
      expect(r.raised).toBe(true);
      expect(r.stderr).toContain('ModuleNotFoundError');
    },
  );

  it('cannot reach the network', async () => {
    const seen: string[] = [];
    const server = net.createServer((s) => s.on('data', (d) => seen.push(String(d))).on('error', () => undefined));
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await run(`import socket\ns = socket.create_connection(("127.0.0.1", ${port}), timeout=2)\ns.sendall(b"hello")`);
      expect(r.raised).toBe(true);
      expect(r.stderr).toMatch(/PermissionError|OSError/);
      await new Promise((res) => setTimeout(res, 300));
      expect(seen).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('resume and stop', () => {
  it('resume returns the live session; unknown IDs are lost', async () => {
    expect(await sandbox.resume(session.sessionId, startOptions)).toBe(session);
    await expect(sandbox.resume('pyodide-unknown', startOptions)).rejects.toBeInstanceOf(SandboxSessionLostError);
  });

  it('stop is idempotent and ends the session', async () => {
    const id = session.sessionId;
    await sandbox.stop(id);
    await sandbox.stop(id);
    await session.close();
    await expect(sandbox.resume(id, startOptions)).rejects.toBeInstanceOf(SandboxSessionLostError);
    await expect(run('1')).rejects.toBeInstanceOf(SandboxSessionLostError);
  });
});
