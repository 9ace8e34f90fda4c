/**
 * Where a root turn of the local engine goes, part by part (issue 13): the same engine as `rlm run`
 * (state machine, on-disk store, handlers), in this process, with one part made real at a time:
 *
 *   1. `orchestration`: a scripted model and an in-process sandbox that answers at once: the state
 *      machine's transitions, the store's reads and writes, the turn's own code;
 *   2. `+ sandbox`: the Pyodide sandbox process runs each cell (`x = len(context)`);
 *   3. `+ http model`: the root model is the OpenAI-compatible adapter talking over loopback HTTP to the
 *      fake server of `bench/peer.ts`, run as its own process (as in `rlm run` against a local server).
 *
 * Each prints the median wall time between the starts of consecutive turns (turns 10-30 and 100-180 of
 * 190) and, with the sandbox, the median time of `execute()` (host to sandbox and back).
 *
 *   npx tsx bench/turn-parts.ts [--turns 190] [--runs 3]
 */
import '../bin/cli/quiet-sdk';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ScriptedModel, type Script } from '../lambdas/adapters/models';
import { OpenAICompatibleModel } from '../lambdas/adapters/models/openai-model';
import type { LanguageModel, Sandbox, SandboxSession } from '../lambdas/core/ports';
import { LocalEngine } from '../bin/local/local-engine';

type Part = 'orchestration' | '+ sandbox' | '+ http model';
const PARTS: Part[] = ['orchestration', '+ sandbox', '+ http model'];
const CODE = 'x = len(context)\nprint(x)';

/** A sandbox whose one session answers every cell at once, in-process (`FINAL(...)` ends the run). */
function instantSandbox(): Sandbox {
  const session: SandboxSession = {
    sessionId: 'instant',
    execute: async (code) => ({
      stdout: '100000\n', stderr: '', timedOut: false, raised: false, durationMs: 0, sub: { calls: 0, errors: 0, inputTokens: 0, outputTokens: 0, records: [] },
      ...(code.startsWith('FINAL(') ? { final: { value: 'done' } } : {}),
    }),
    close: async () => undefined,
  };
  return {
    description: 'instant',
    start: async () => ({ session, loaded: { documents: [{ name: 'doc.txt', uri: 'doc.txt', chars: 100_000 }], totalChars: 100_000, preview: '' } }),
    resume: async () => session,
    stop: async () => undefined,
  };
}

/** The peer bench's fake OpenAI-compatible server in its own process; resolves with its base URL and a stop function. */
async function serverProcess(turns: number): Promise<{ baseUrl: string; stop: () => void }> {
  const script = `require(${JSON.stringify(path.join(__dirname, 'peer/fake-openai-server.ts'))}).startFakeServer().then((s) => { s.arm({ code: [${JSON.stringify(CODE)}], finalCode: 'FINAL("done")', turns: ${turns}, subDelayMs: 0 }); console.log(s.baseUrl); });`;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`the fake server exited (${code})`)));
  });
  return { baseUrl, stop: () => child.kill() };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/** One run of `turns` turns with `part` real; returns the medians (ms). */
async function runOnce(part: Part, turns: number): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rlm-turn-parts-'));
  const doc = path.join(dir, 'doc.txt');
  writeFileSync(doc, 'line: the quick brown fox jumps over the lazy dog\n'.repeat(2000));
  const root = [...Array.from({ length: turns - 1 }, () => ({ code: CODE })), { code: 'FINAL("done")' }];
  let model: LanguageModel = new ScriptedModel({ root } as Script, { source: 'turn-parts' });
  const server = part === '+ http model' ? await serverProcess(turns) : undefined;
  if (server) model = new OpenAICompatibleModel({ baseUrl: server.baseUrl, apiKey: 'x', model: 'peer' });
  const starts: number[] = [];
  const execMs: number[] = [];
  const timed = (s: SandboxSession): SandboxSession => ({
    sessionId: s.sessionId,
    close: () => s.close(),
    execute: async (code, options) => {
      const t0 = performance.now();
      const r = await s.execute(code, options);
      execMs.push(performance.now() - t0);
      return r;
    },
  });
  const engine = await LocalEngine.start({
    model, stateDir: path.join(dir, 'state'), ...(part === 'orchestration' ? { sandbox: instantSandbox() } : {}),
    runDefaults: { rootModelId: 'peer', subModelId: 'peer', maxIterations: Math.min(200, turns + 5) },
    progress: { turnStarted: () => starts.push(performance.now()) },
    wrapDeps: (deps) => ({
      ...deps,
      sandbox: {
        description: deps.sandbox.description,
        start: async (o) => { const r = await deps.sandbox.start(o); return { ...r, session: timed(r.session) }; },
        resume: async (id, o) => timed(await deps.sandbox.resume(id, o)),
        stop: (id) => deps.sandbox.stop(id),
      },
    }),
  });
  try {
    const summary = await engine.run({ question: 'q', documents: [doc] });
    if (summary.status !== 'succeeded') throw new Error(`the ${part} run ended ${summary.status}: ${JSON.stringify(summary).slice(0, 300)}`);
  } finally {
    await engine.close();
    server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
  return {
    'turn 10-30': median(gaps.slice(9, 30)), 'turn 100-180': median(gaps.slice(99, 180)),
    ...(part === 'orchestration' ? {} : { 'execute() 10-30': median(execMs.slice(9, 30)), 'execute() 100-180': median(execMs.slice(99, 180)) }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { turns: { type: 'string' }, runs: { type: 'string' } } });
  const turns = Number(values.turns ?? 190);
  const runs = Number(values.runs ?? 3);
  if (!(turns >= 40 && turns <= 195)) throw new Error(`--turns must be 40..195, got ${values.turns}`);
  const results = new Map<Part, Array<Record<string, number>>>(PARTS.map((p) => [p, []]));
  for (let r = 0; r < runs; r++) {
    for (const part of PARTS) results.get(part)!.push(await runOnce(part, turns));
  }
  const lines = [`bench/turn-parts.ts: medians of ${runs} interleaved runs of ${turns} turns, ms, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`, '',
    '| part | turn, turns 10-30 | turn, turns 100-180 | execute(), turns 10-30 | execute(), turns 100-180 |', '|---|---|---|---|---|'];
  for (const part of PARTS) {
    const rs = results.get(part)!;
    const m = (k: string) => { const v = median(rs.map((x) => x[k]!).filter(Number.isFinite)); return Number.isFinite(v) ? v.toFixed(2) : ''; };
    lines.push(`| ${part} | ${m('turn 10-30')} | ${m('turn 100-180')} | ${m('execute() 10-30')} | ${m('execute() 100-180')} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
