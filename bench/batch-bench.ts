/**
 * Per-item overhead of `rlm batch` and `rlm eval --approach rlm` with a zero-latency scripted model
 * (issue 13: at most 100 ms an item, sandboxes from a warm pool).
 *
 *   npx tsx bench/batch-bench.ts [--items N] [--concurrency 1,4] [--turns T] [--modes warm,cold] [--only batch,eval]
 *
 * Each item is a small document and a script of T root turns (T-1 cells that read `context`, then
 * FINAL). Modes: `warm` is the product (boot snapshot, sessions reset between items); `fresh` is
 * `--fresh-sandboxes` (boot snapshot, a new process per item from warm spares); `cold` has neither (every
 * item's session boots cold). Printed per run: wall / N (the model takes 0 ms, so that is the
 * per-item overhead, first item's start-up included) and the steady state (first item done to last item
 * done, over N-1 items), which is what a long batch pays per item. The snapshot is made before timing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runBatch } from '../bin/commands/batch';
import { runEvaluation } from '../bin/eval/harness';
import { answerRlm, LocalRlmRunner } from '../bin/eval/rlm';
import { LocalEngine } from '../bin/local/local-engine';
import { createLanguageModel } from '../lambdas/adapters/models';
import { BootSnapshot, defaultSnapshotDir } from '../lambdas/adapters/pyodide/boot-snapshot';
import { stopAllPyodideSessions } from '../lambdas/adapters/pyodide';
import { evalSandboxOptions } from '../bin/commands/eval';
import { SCRIPTED_MODEL_IDS } from '../bin/cli/run-options';

type Mode = 'warm' | 'fresh' | 'cold';
const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '12' }, concurrency: { type: 'string', default: '1,4' }, turns: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'warm,fresh,cold' }, only: { type: 'string', default: 'batch,eval' },
  },
});
const N = Number(values.items);
const TURNS = Number(values.turns);
const concurrencies = values.concurrency!.split(',').map(Number);
const modes = values.modes!.split(',') as Mode[];
const only = new Set(values.only!.split(','));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rlm-batch-bench-'));
const scriptFile = path.join(tmp, 'script.json');
writeFileSync(scriptFile, JSON.stringify({
  description: 'batch bench: zero latency',
  latencyMs: 0,
  root: [
    ...Array.from({ length: TURNS - 1 }, (_, i) => ({ code: `n${i} = len(context.splitlines())\nprint(n${i})` })),
    { code: 'FINAL("The correct answer is (A)")' },
  ],
}));
const doc = (i: number) => `document ${i}\n` + `line of item ${i}\n`.repeat(200);

interface Figures { perItemMs: number; steadyMs: number; medianItemMs: number }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Finish times (ms since t0) from the per-item lines the command prints. */
function timings(t0: number, finished: number[], itemMs: number[]): Figures {
  const wall = Math.max(...finished);
  const first = Math.min(...finished);
  return { perItemMs: wall / N, steadyMs: (wall - first) / Math.max(1, N - 1), medianItemMs: median(itemMs) };
}

const sandboxFor = (mode: Mode) => (mode === 'warm' ? {} : mode === 'fresh' ? { fresh: true } : { warmSessions: 0, snapshotDir: null, fresh: true });

async function batchOnce(mode: Mode, concurrency: number): Promise<Figures> {
  const dir = mkdtempSync(path.join(tmp, 'batch-'));
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    writeFileSync(path.join(dir, `d${i}.txt`), doc(i));
    lines.push(JSON.stringify({ id: `item-${i}`, question: 'bench', documents: [`d${i}.txt`] }));
  }
  writeFileSync(path.join(dir, 'bench.jsonl'), lines.join('\n') + '\n');
  const finished: number[] = [];
  const t0 = Date.now();
  const out = await runBatch({
    manifest: path.join(dir, 'bench.jsonl'), concurrency, llm: `scripted:${scriptFile}`, stateDir: path.join(dir, '.rlm'), quiet: false,
    runDefaults: { ...SCRIPTED_MODEL_IDS, maxIterations: TURNS + 2 }, sandbox: sandboxFor(mode),
  }, { stdout: () => undefined, stderr: (s) => { if (/\] item-/.test(s)) finished.push(Date.now() - t0); } });
  if (out.summary.failed) throw new Error(`batch bench: ${out.summary.failed} item(s) failed: ${out.lines.find((l) => l.error)?.error}`);
  rmSync(dir, { recursive: true, force: true });
  return timings(t0, finished, out.lines.map((l) => l.latencyMs ?? NaN));
}

async function evalOnce(mode: Mode, concurrency: number): Promise<Figures> {
  const dir = mkdtempSync(path.join(tmp, 'eval-'));
  const records = Array.from({ length: N }, (_, i) => ({
    _id: `q${i}`, domain: 'Single-Document QA', sub_domain: 'Financial', difficulty: 'easy', length: 'short',
    question: `question ${i}?`, choice_A: 'a', choice_B: 'b', choice_C: 'c', choice_D: 'd', answer: 'A', context: doc(i),
  }));
  writeFileSync(path.join(dir, 'data.json'), JSON.stringify(records));
  const model = await createLanguageModel(`scripted:${scriptFile}`);
  const s = sandboxFor(mode);
  const engine = await LocalEngine.start({
    model, stateDir: path.join(dir, '.rlm'), runDefaults: { ...SCRIPTED_MODEL_IDS, maxIterations: TURNS + 2 },
    pyodide: {
      ...evalSandboxOptions(concurrency, mode !== 'warm'), ...('warmSessions' in s ? { warmSessions: s.warmSessions } : {}),
      ...('snapshotDir' in s ? { snapshotDir: s.snapshotDir } : {}),
    },
  });
  const runner = new LocalRlmRunner(engine);
  const finished: number[] = [];
  const itemMs: number[] = [];
  const t0 = Date.now();
  const report = await runEvaluation({ data: path.join(dir, 'data.json'), subset: 'all', approach: 'rlm', outDir: dir, concurrency }, {
    prepare: async () => ({ answer: async (r) => { const q = await answerRlm(r, runner); finished.push(Date.now() - t0); itemMs.push(q.latencyMs); return q; }, close: () => runner.close() }),
  });
  if (report.ran !== N || report.summary.overall.successRate !== 1) throw new Error(`eval bench: ran ${report.ran} of ${N}, success rate ${report.summary.overall.successRate}`);
  rmSync(dir, { recursive: true, force: true });
  return timings(t0, finished, itemMs);
}

async function main(): Promise<void> {
  if (modes.some((m) => m !== 'cold')) await new BootSnapshot(defaultSnapshotDir()).ensure();
  console.log(`batch-bench: ${N} items, ${TURNS} root turns each, zero-latency scripted model, ${os.cpus().length} cores`);
  console.log('command  concurrency  mode  per item (wall/N)  steady state  median item latency');
  for (const what of ['batch', 'eval'] as const) {
    if (!only.has(what)) continue;
    for (const c of concurrencies) {
      for (const mode of modes) {
        const f = what === 'batch' ? await batchOnce(mode, c) : await evalOnce(mode, c);
        console.log(`${what.padEnd(8)} ${String(c).padStart(11)}  ${mode.padEnd(4)}  ${f.perItemMs.toFixed(0).padStart(14)} ms  ${f.steadyMs.toFixed(0).padStart(9)} ms  ${f.medianItemMs.toFixed(0).padStart(16)} ms`);
      }
    }
  }
  await stopAllPyodideSessions();
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
