/**
 * The fault matrix on the twin: the demo question (examples/demo) run once per case of twin/fault-matrix/cases.ts
 * through the deployed path (one twin, one synth, one moto for every row, rows one after another since faults
 * are armed on one switchboard), printing a markdown row per case and the promises it breaks.
 * `npm run twin:faults [-- --quick] [-- --only TEXT] [-- --repeat N] [-- CASES.json]` (or `npx tsx twin/fault-matrix.ts`);
 * `--only` keeps the cases whose label contains TEXT, `--repeat` runs each case N times (timing-dependent rows);
 * exits 1 when a row breaks a promise. `npm test` asserts every row too (test/twin/fault-matrix*.test.ts, three files); docs/twin.md records
 * the full output. CASES.json: `[[label, [fault spec, ...]], ...]`, each checked as `same-answer`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FaultSwitchboard, parseFaultSpec } from './faults';
import { twinEmulators, type StartedEmulators } from './emulators';
import { MATRIX_CASES, type MatrixCase } from './fault-matrix/cases';
import { markdownRow, MARKDOWN_HEADER, matrixContext, runCase, violations, type Observation } from './fault-matrix/observe';
import { REPO_ROOT } from './synth';
import { Twin } from './twin';

/** The demo's directory (script.json, docs/). */
export const DEMO_DIR = path.join(REPO_ROOT, 'examples', 'demo');

/** The value after `--name` in `args`, if any. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function casesFrom(args: string[]): MatrixCase[] {
  const only = flag(args, 'only');
  const repeat = Number(flag(args, 'repeat') ?? 1);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat takes a whole number of runs, got ${flag(args, 'repeat')}`);
  const picked = pick(args).filter((c) => only === undefined || c.label.includes(only));
  if (picked.length === 0) throw new Error(`no case label contains ${JSON.stringify(only)}`);
  return picked.flatMap((c) => Array.from({ length: repeat }, () => c));
}

function pick(args: string[]): MatrixCase[] {
  const values = new Set([flag(args, 'only'), flag(args, 'repeat')]);
  const file = args.find((a) => !a.startsWith('--') && !values.has(a));
  if (file) {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<[string, unknown[]]>;
    return raw.map(([label, specs]) => ({ label, crashPoint: '?', faults: specs.map(parseFaultSpec), expect: { kind: 'same-answer' } }));
  }
  return args.includes('--quick') ? MATRIX_CASES.filter((c) => c.quick) : MATRIX_CASES;
}

async function main(args: string[]): Promise<number> {
  const cases = casesFrom(args);
  const faults = new FaultSwitchboard();
  const started: StartedEmulators = {};
  const twin = await Twin.start({ faults, retryDelayOverrideMs: 0, emulators: twinEmulators({ script: path.join(DEMO_DIR, 'script.json'), faults }, started) });
  let broken = 0;
  try {
    const ctx = await matrixContext(twin, faults, started, DEMO_DIR);
    const base: Observation = await runCase(ctx, MATRIX_CASES[0], 'matrix-base');
    console.log(MARKDOWN_HEADER);
    for (const [i, c] of cases.entries()) {
      const o = c.faults.length === 0 ? base : await runCase(ctx, c, `matrix-${i}`);
      const v = violations(c, o, base);
      if (v.length) broken++;
      console.log(markdownRow(o, v));
      console.error(`  (${c.crashPoint}; ${(o.elapsedMs / 1000).toFixed(1)} s)`);
    }
  } finally {
    await twin.close();
  }
  console.error(broken ? `${broken} of ${cases.length} rows break a promise` : `all ${cases.length} rows hold`);
  return broken ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => { console.error(err); process.exit(2); });
}
