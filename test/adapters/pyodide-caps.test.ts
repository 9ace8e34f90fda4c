/**
 * Caps at call time, end to end inside one cell: the real Pyodide sandbox, the real OpenAI-compatible
 * adapter and a loopback HTTP server that counts the requests it receives. Also: sub-calls in flight
 * are aborted when their cell times out, and the ledger reports tokens, cost and progress host-side.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PyodideSandbox, stopAllPyodideSessions, type PyodideSession } from '../../lambdas/adapters/pyodide';
import { OpenAICompatibleModel } from '../../lambdas/adapters/models/openai-model';
import type { LanguageModel, ModelCallOptions, ModelRequest, ModelResponse, SandboxSession, SubCallProgress } from '../../lambdas/core/ports';
import { memoryStore, ref } from './pyodide-fakes';

jest.setTimeout(120_000);

let hits = 0;
let server: http.Server;
let session: SandboxSession;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hits++;
      const prompt = String(JSON.parse(body).messages?.at(-1)?.content ?? '');
      const delay = /^slow/.test(prompt) ? 30_000 : 0;
      const timer = setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          choices: [{ message: { role: 'assistant', content: `ok:${prompt}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 5 },
        }));
      }, delay);
      res.on('close', () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const model = new OpenAICompatibleModel({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model: 'tiny' });
  const sandbox = new PyodideSandbox({
    documents: memoryStore({ 'mem://d.txt': 'doc' }),
    subModel: model,
    price: (_model, usage) => (usage.inputTokens + usage.outputTokens) / 1000,
    hardKillGraceMs: 3000,
  });
  ({ session } = await sandbox.start({ runId: 'caps', documents: [ref('d.txt')], subModelId: 'tiny', subConcurrency: 4, maxCaptureChars: 100_000 }));
});

afterAll(async () => {
  await stopAllPyodideSessions();
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  hits = 0;
});

describe('caps at call time', () => {
  it('300 llm_query calls under {calls: 20} reach the server at most 20 (+ concurrency) times', async () => {
    const progress: SubCallProgress[] = [];
    const r = await session.execute(
      'out = [llm_query("q%d" % i) for i in range(300)]\nprint(sum(o.startswith("ok:") for o in out), sum("cap reached" in o for o in out))',
      { timeoutMs: 60_000, budget: { calls: 20, allowedModels: ['tiny'] }, onSubCalls: (p) => progress.push(p) },
    );
    expect(hits).toBeLessThanOrEqual(20 + 4);
    expect(r.stdout).toBe('20 280\n');
    expect(r.sub.calls).toBe(20);
    expect(r.sub.calls).toBe(hits);
    expect(r.capReached).toMatch(/sub-call cap reached/);
    expect(progress.at(-1)).toEqual({ inFlight: 0, done: 20, errors: 0 });
  });

  it('a batch under {calls: 20} makes at most 20 calls; records carry full text and batch positions', async () => {
    const r = await session.execute('out = llm_query_batched(["b%d" % i for i in range(300)])\nprint(sum(o.startswith("ok:") for o in out))', {
      timeoutMs: 60_000, budget: { calls: 20, allowedModels: ['tiny'] },
    });
    expect(hits).toBeLessThanOrEqual(20);
    expect(r.sub.calls).toBe(hits);
    expect(r.stdout).toBe('20\n');
    expect(r.sub.records[0]).toMatchObject({ prompt: expect.stringMatching(/^b\d+$/), response: expect.stringMatching(/^ok:b\d+$/), batch: { id: 1, size: 300 } });
  });

  it('the token cap and the cost cap stop further calls', async () => {
    const tokens = await session.execute('print(sum(llm_query("t").startswith("ok:") for _ in range(50)))', { timeoutMs: 60_000, budget: { tokens: 45, allowedModels: ['tiny'] } });
    expect(tokens.stdout).toBe('3\n'); // 15 tokens a call: 0, 15, 30 are under 45
    expect(tokens.capReached).toMatch(/token cap reached/);
    expect(tokens.sub).toMatchObject({ calls: 3, inputTokens: 30, outputTokens: 15 });
    hits = 0;
    const cost = await session.execute('print(sum(llm_query("c").startswith("ok:") for _ in range(50)))', { timeoutMs: 60_000, budget: { costUsd: 0.05, allowedModels: ['tiny'] } });
    expect(cost.stdout).toBe('4\n'); // $0.015 a call
    expect(cost.capReached).toMatch(/cost cap reached/);
    expect(hits).toBe(4);
  });

  it('a cell that times out aborts its sub-calls in flight (the model sees the abort signal)', async () => {
    const aborted: string[] = [];
    const hanging: LanguageModel = {
      description: 'hangs until aborted',
      converse: (req: ModelRequest, options?: ModelCallOptions) => new Promise<ModelResponse>((_resolve, reject) => {
        const first = req.messages[0]?.content[0];
        options?.signal?.addEventListener('abort', () => {
          aborted.push(first?.type === 'text' ? first.text : '?');
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
      }),
    };
    const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://d.txt': 'doc' }), subModel: hanging, hardKillGraceMs: 3000 });
    const { session: s } = await sandbox.start({ runId: 'abort', documents: [ref('d.txt')], subModelId: 'hang', subConcurrency: 4, maxCaptureChars: 10_000 });
    await (s as PyodideSession).ready(); // start() resolves before the boot ends; this test times a running cell
    const t0 = Date.now();
    const r = await s.execute('llm_query_batched(["slow%d" % i for i in range(4)])', { timeoutMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(aborted.sort()).toEqual(['slow0', 'slow1', 'slow2', 'slow3']);
    expect(r.sub.calls).toBe(4);
    expect(r.sub.records.every((rec) => /Abort/.test(rec.error ?? ''))).toBe(true);
    const after = await s.execute('print("still alive")', { timeoutMs: 5000 });
    expect(after.stdout).toBe('still alive\n');
    await sandbox.closeAll();
  });

  it('closing the session aborts its sub-calls in flight', async () => {
    let abortedCount = 0;
    const hanging: LanguageModel = {
      description: 'hangs until aborted',
      converse: (_req: ModelRequest, options?: ModelCallOptions) => new Promise<ModelResponse>((_resolve, reject) => {
        options?.signal?.addEventListener('abort', () => {
          abortedCount++;
          reject(new Error('aborted'));
        });
      }),
    };
    const sandbox = new PyodideSandbox({ documents: memoryStore({ 'mem://d.txt': 'doc' }), subModel: hanging });
    const { session: s } = await sandbox.start({ runId: 'abort-close', documents: [ref('d.txt')], subModelId: 'hang', subConcurrency: 2, maxCaptureChars: 10_000 });
    await (s as PyodideSession).ready(); // start() resolves before the boot ends; this test times a running cell
    const running = s.execute('llm_query_batched(["a", "b"])', { timeoutMs: 60_000 });
    for (let i = 0; i < 100 && abortedCount === 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      if (i === 20) void s.close();
    }
    const r = await running;
    expect(abortedCount).toBe(2);
    expect(r.notices?.join(' ')).toMatch(/session was lost/);
  });
});
