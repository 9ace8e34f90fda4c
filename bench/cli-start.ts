/**
 * CLI start time: `rlm --help` and `rlm --version`, before (TypeScript through tsx, as the launcher ran it
 * before the bundle) and after (the esbuild bundle dist/cli.js under plain node), plus bare `node` as the
 * floor, and `rlm` itself (the launcher, which loads the bundle in-process). Prints the median wall time and the median CPU time (user+sys) of N runs each, and the load average:
 * on a shared machine wall time moves with the load, CPU time much less.
 *
 *   npx tsx bench/cli-start.ts [runs=7] [--before DIR]     (needs `npm run build` first)
 *
 * `--before DIR` adds `rlm --help` of another checkout (e.g. /work/wt/before, commit 60e3bc5, whose launcher
 * spawned tsx), timed in the same loop so both see the same load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const argv = process.argv.slice(2);
const beforeAt = argv.indexOf('--before');
const beforeDir = beforeAt >= 0 ? path.resolve(argv[beforeAt + 1] ?? '') : undefined;
const runs = Number(argv.find((a, i) => /^\d+$/.test(a) && argv[i - 1] !== '--before') ?? 7);
const bundle = path.join(root, 'dist', 'cli.js');
if (!existsSync(bundle)) throw new Error('dist/cli.js is missing: run npm run build first');
const tsxCli = require.resolve('tsx/cli');
const launcher = path.join(root, 'bin', 'rlm-launcher.mjs');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall and CPU milliseconds of `node args` over `runs` runs (each must exit 0). */
function measure(args: string[]): { wallMs: number; cpuMs: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    wall.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
    const times = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; { time ${[process.execPath, ...args].map((a) => `'${a}'`).join(' ')} >/dev/null 2>&1; } 2>&1`], { encoding: 'utf8' });
    const [user, sys] = times.stdout.trim().split(/\s+/).map(Number);
    cpu.push((user + sys) * 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

const cases: Array<[string, string[]]> = [
  ['node -e "" (floor)', ['-e', '']],
  ['before: tsx bin/rlm.ts --help', [tsxCli, path.join(root, 'bin', 'rlm.ts'), '--help']],
  ['after:  node dist/cli.js --help', [bundle, '--help']],
  ['after:  node dist/cli.js --version', [bundle, '--version']],
  ['after:  node dist/cli.js run --help', [bundle, 'run', '--help']],
  // What `rlm` runs when installed: the launcher, which loads the bundle in its own process.
  ['after:  rlm --help (bin/rlm-launcher.mjs)', [launcher, '--help']],
  ['after:  rlm --version (bin/rlm-launcher.mjs)', [launcher, '--version']],
  ...(beforeDir ? [[`before: rlm --help (${path.basename(beforeDir)})`, [path.join(beforeDir, 'bin', 'rlm-launcher.mjs'), '--help']]] as Array<[string, string[]]> : []),
];
console.log(`CLI start, median of ${runs} runs; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${require('node:os').cpus().length} CPUs`);
for (const [name, args] of cases) {
  const { wallMs, cpuMs } = measure(args);
  console.log(`${name.padEnd(46)} wall ${wallMs.toFixed(0).padStart(5)} ms   cpu ${cpuMs.toFixed(0).padStart(5)} ms`);
}
