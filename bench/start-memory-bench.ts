/**
 * Start-up and memory of `rlm run` as users run it (`node bin/rlm-launcher.mjs run`, the bundled dist/cli.js),
 * against the fake OpenAI-compatible server of bench/peer.ts: process start -> first root model call, -> first
 * code ran (the first sub-call), the CPU time the process tree spent to each (a figure a loaded machine inflates
 * far less than wall time), and the peak RSS of the CLI process, of the sandbox process and of the tree.
 * Each run checks its answer (`FINAL(str(len(context)))` must equal the document's length).
 *
 *   npx tsx bench/start-memory-bench.ts [--chars 100000] [--turns 2] [--runs 3] [--base DIR]
 *
 * `--base DIR`: another checkout (built: dist/cli.js present) measured interleaved with this one, e.g. the
 * commit before a change: `git archive <commit> | tar -x -C DIR`, `ln -s $PWD/node_modules DIR/`, then build.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeServer, type FakeServer } from './peer/fake-openai-server';
import { processTree, runSampled, treeCpuMs } from './peer/procs';

const repo = path.resolve(__dirname, '..');

function makeDocument(file: string, chars: number): void {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < chars; i++) {
    const l = `line ${i}: the quick brown fox jumps over the lazy dog NEEDLE${i}\n`;
    parts.push(l);
    n += l.length;
  }
  writeFileSync(file, parts.join('').slice(0, chars));
}

/** Peak RSS (MB) of each kind of process under the bench (cli, sandbox), sampled every `ms`. */
function samplePeaks(ms: number): { stop(): Record<string, number> } {
  const peaks: Record<string, number> = {};
  const timer = setInterval(() => {
    for (const pid of processTree(process.pid)) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const kind = cmd.includes('sandbox-process') ? 'sandbox' : cmd.includes('rlm-launcher') ? 'cli' : undefined;
        if (!kind) continue;
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        peaks[kind] = Math.max(peaks[kind] ?? 0, kb / 1024);
      } catch {
        /* the process ended */
      }
    }
  }, ms);
  return { stop: () => (clearInterval(timer), peaks) };
}

/** CPU time of the run's process tree (ms, {@link treeCpuMs}) sampled every `ms`, to read it at an instant afterwards. */
function sampleCpu(ms: number): { start(pid: number): void; at(t: number): number; stop(): void } {
  const samples: Array<[number, number]> = [];
  let timer: NodeJS.Timeout | undefined;
  return {
    start: (pid) => (timer = setInterval(() => samples.push([performance.timeOrigin + performance.now(), treeCpuMs(pid)]), ms)),
    at: (t) => samples.filter(([when]) => when <= t).pop()?.[1] ?? NaN,
    stop: () => clearInterval(timer),
  };
}

async function runOnce(checkout: string, server: FakeServer, doc: string, chars: number, turns: number, tmp: string): Promise<Record<string, number>> {
  let cpuAtFirstCall = NaN;
  let cliPid = 0;
  const trace = server.arm({ code: [turns > 2 ? 'x = len(context)\nprint(x)' : 'llm_query("ping")'], finalCode: 'FINAL(str(len(context)))', turns, subDelayMs: 0 },
    (k) => { if (k === 0 && cliPid) cpuAtFirstCall = treeCpuMs(cliPid); });
  const stateDir = mkdtempSync(path.join(tmp, 'state-'));
  const peaks = samplePeaks(20);
  const cpu = sampleCpu(10);
  const run = await runSampled(process.execPath, [path.join(checkout, 'bin/rlm-launcher.mjs'), 'run', '--llm', `openai:${server.baseUrl}`,
    '--root-model', 'r', '--sub-model', 's', '--document', doc, '--question', 'q', '--max-iterations', String(turns + 5), '--quiet', '--output', 'json', '--state-dir', stateDir],
  { PATH: process.env.PATH, HOME: process.env.HOME, RLM_OPENAI_API_KEY: 'bench' }, 600_000, 20, (pid) => ((cliPid = pid), cpu.start(pid)));
  cpu.stop();
  const per = peaks.stop();
  rmSync(stateDir, { recursive: true, force: true });
  const answer = (() => { try { return (JSON.parse(run.stdout) as { answer?: string }).answer; } catch { return undefined; } })();
  if (run.exitCode !== 0 || answer !== String(chars)) throw new Error(`${checkout}: exit ${run.exitCode}, answer ${answer}\n${run.stderr.slice(-2000)}`);
  return {
    'start -> first model call ms': trace.rootArrivals[0]! - run.startedAt,
    ...(turns <= 2 ? { 'start -> first code ran ms': (trace.firstSubArrival ?? NaN) - run.startedAt } : {}),
    // CPU time of the process tree (all threads of the CLI and the sandbox process), less sensitive to a loaded machine
    'CPU ms of the tree to the first model call': cpuAtFirstCall,
    ...(turns <= 2 ? { 'CPU ms of the tree to first code ran (±10)': cpu.at(trace.firstSubArrival ?? NaN) } : {}),
    'wall ms': run.exitedAt - run.startedAt,
    'peak RSS cli MB': per.cli ?? NaN, 'peak RSS sandbox MB': per.sandbox ?? NaN, 'peak RSS tree MB': run.peakTreeMb,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { chars: { type: 'string' }, turns: { type: 'string' }, runs: { type: 'string' }, base: { type: 'string' } } });
  const chars = Number(values.chars ?? 100_000);
  const turns = Number(values.turns ?? 2);
  const runs = Number(values.runs ?? 3);
  const checkouts = [repo, ...(values.base ? [path.resolve(values.base)] : [])];
  for (const c of checkouts) if (!existsSync(path.join(c, 'dist', 'cli.js'))) throw new Error(`${c}: no dist/cli.js (npm run build)`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rlm-start-'));
  const doc = path.join(tmp, `doc-${chars}.txt`);
  makeDocument(doc, chars);
  const server = await startFakeServer();
  const results = new Map<string, Array<Record<string, number>>>(checkouts.map((c) => [c, []]));
  try {
    for (let i = 0; i < runs; i++) {
      for (const c of i % 2 ? [...checkouts].reverse() : checkouts) results.get(c)!.push(await runOnce(c, server, doc, chars, turns, tmp));
      process.stderr.write(`start-memory: run ${i + 1}/${runs} done\n`);
    }
  } finally {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`\n${chars.toLocaleString('en-US')} chars, ${turns} turns, medians of ${runs} run(s), load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores\n`);
  const keys = Object.keys(results.get(repo)![0]!);
  console.log(`| measure | ${checkouts.map((c) => (c === repo ? 'this checkout' : path.basename(c))).join(' | ')} |\n|---|${checkouts.map(() => '---|').join('')}`);
  for (const k of keys) console.log(`| ${k} | ${checkouts.map((c) => median(results.get(c)!.map((r) => r[k]!)).toFixed(0)).join(' | ')} |`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
