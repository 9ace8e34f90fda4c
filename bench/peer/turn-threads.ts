/**
 * Where the CPU of a root turn goes, per thread: one `rlm run` against the fake server of bench/peer.ts
 * (zero-latency model, `x = len(context)` each turn), with the CPU time of every thread of the process
 * tree (`/proc/<pid>/task/<tid>/schedstat`, named by `comm`) sampled at the arrival of root requests
 * `--from` and `--to`, printed per thread as ms per turn.
 *
 *   npx tsx bench/peer/turn-threads.ts [--turns 60] [--from 9] [--to 30] [--ours DIR] [--cpu-prof DIR] [--node-flags "..."]
 *
 * `--cpu-prof DIR` also writes V8 CPU profiles of the CLI process (node --cpu-prof) into DIR (wall-clock
 * samples: under load they blame waiting for a core on whatever ran last). `--perf FILE` records the CLI
 * process's on-CPU samples between the two arrivals with `perf record -g` (add `--node-flags
 * --perf-basic-prof` for JavaScript names; read with `perf report -i FILE`); `--perf-sandbox` records the
 * sandbox process instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeServer } from './fake-openai-server';
import { processTree, runSampled, threadIdsOf } from './procs';

/** CPU ms of each thread of the tree, keyed `pid/comm-of-process/comm-of-thread#tid`. */
function threadCpu(root: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of processTree(root)) {
    const tids = threadIdsOf(pid);
    if (tids.length === 0) continue;
    const pcomm = (() => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return '?'; } })();
    for (const tid of tids) {
      try {
        const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        out.set(`${pid === root ? "cli" : `child ${pcomm}[${pid}]`} ${tid === String(pid) ? 'main' : comm}#${tid}`, ns / 1e6);
      } catch {
        /* ended */
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { turns: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, ours: { type: 'string' }, 'cpu-prof': { type: 'string' }, 'node-flags': { type: 'string' }, perf: { type: 'string' }, 'perf-sandbox': { type: 'boolean' } } });
  const turns = Number(values.turns ?? 60);
  const from = Number(values.from ?? 9);
  const to = Number(values.to ?? 30);
  if (!(from < to && to < turns)) throw new Error(`need --from < --to < --turns (got ${from}, ${to}, ${turns})`);
  const ours = path.resolve(values.ours ?? path.join(__dirname, '..', '..'));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rlm-threads-'));
  const doc = path.join(tmp, 'doc.txt');
  writeFileSync(doc, 'line: the quick brown fox jumps over the lazy dog\n'.repeat(2000));
  const server = await startFakeServer();
  const samples: Record<number, Map<string, number>> = {};
  let pid: number | undefined;
  let perf: ChildProcess | undefined;
  const perfFile = values.perf ? path.resolve(values.perf) : undefined;
  server.arm({ code: ['x = len(context)\nprint(x)'], finalCode: 'FINAL("done")', turns, subDelayMs: 0 }, (k) => {
    if (pid === undefined || (k !== from && k !== to)) return;
    samples[k] = threadCpu(pid);
    // --perf-sandbox: the sandbox process (the CLI's child) instead of the CLI
    const target = values['perf-sandbox'] ? processTree(pid).filter((p) => p !== pid).join(',') : String(pid);
    if (perfFile && k === from) perf = spawn('perf', ['record', '-q', '-F', '4999', '-g', '-p', target, '-o', perfFile], { stdio: 'ignore' });
    if (k === to) perf?.kill('SIGINT');
  });
  const flags = [...(values['node-flags']?.split(' ').filter(Boolean) ?? []), ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values['cpu-prof'])}`] : [])];
  const args = [...flags, path.join(ours, 'bin/rlm-launcher.mjs'), 'run', '--llm', `openai:${server.baseUrl}`, '--root-model', 'r', '--sub-model', 's',
    '--document', doc, '--question', 'q', '--max-iterations', String(turns + 5), '--quiet', '--output', 'json', '--state-dir', path.join(tmp, 'state')];
  try {
    const run = await runSampled(process.execPath, args, { PATH: process.env.PATH, HOME: process.env.HOME, RLM_OPENAI_API_KEY: 'x' }, 600_000, 1000, (p) => (pid = p));
    if (run.exitCode !== 0 || !samples[from] || !samples[to]) throw new Error(`run failed: exit ${run.exitCode}\n${run.stderr}`);
  } finally {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  const a = samples[from]!;
  const b = samples[to]!;
  const rows = [...b.entries()].map(([k, v]) => [k, (v - (a.get(k) ?? 0)) / (to - from)] as const).filter(([, v]) => v > 0.005).sort((x, y) => y[1] - x[1]);
  const total = rows.reduce((n, [, v]) => n + v, 0);
  const lines = [`CPU ms per turn, turns ${from + 1}-${to} of ${turns} (load ${os.loadavg()[0]!.toFixed(1)}): total ${total.toFixed(2)}`];
  for (const [k, v] of rows) lines.push(`  ${v.toFixed(2).padStart(7)}  ${k}`);
  process.stdout.write(`${lines.join('\n')}\n`, () => undefined);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
