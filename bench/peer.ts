/**
 * Side-by-side benchmark against the reference implementation (alexzhang13/rlm), issue 13's table.
 *
 *   npx tsx bench/peer.ts [--reference DIR] [--ours DIR] [--runs N] [--only turns,fan-out,...] [--floor] [--keep]
 *
 * Both implementations talk to one fake OpenAI-compatible server on loopback (bench/peer/
 * fake-openai-server.ts) with a zero-latency scripted model and the same code per turn; runs are
 * interleaved (ours, reference, reference, ours, ...) and medians printed with the ratio ours/reference.
 * Without `--reference` only this project is measured. `--ours DIR` runs another checkout of this project
 * (with its dist/ built) instead of this one, for before/after figures. The reference checkout is yours to fetch (for
 * example `git clone https://github.com/alexzhang13/rlm` at commit 72d6940); its OpenAI client imports the
 * `openai` and `rich` packages, replaced here by bench-only stand-ins under bench/peer/stubs/.
 * `--floor` adds a third column to the `turns` rows: bench/peer/floor-driver.ts, this project's model
 * adapter and Pyodide sandbox with no engine between them (what a turn with this sandbox costs before any
 * engine work).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeServer, type FakeServer } from './peer/fake-openai-server';
import { MEASURES, medianFigures, type Figures, type Impl, type Measure } from './peer/measures';
import { runSampled, treeCpuMs, type RunOutcome } from './peer/procs';

const repo = path.resolve(__dirname, '..');

/** Deterministic ASCII text of exactly `chars` characters, with numbered NEEDLE lines. */
function makeDocument(chars: number): string {
  const line = (i: number) => `line ${i}: the quick brown fox jumps over the lazy dog NEEDLE${i}\n`;
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < chars; i++) {
    const l = line(i);
    parts.push(l);
    n += l.length;
  }
  return parts.join('').slice(0, chars);
}

interface Checkouts {
  ours: string;
  reference?: string;
}

function commandFor(impl: Impl, server: FakeServer, doc: string, maxIterations: number, stateDir: string, dirs: Checkouts): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), LANG: 'C.UTF-8' };
  if (impl === 'ours') {
    return {
      cmd: process.execPath,
      args: [path.join(dirs.ours, 'bin/rlm-launcher.mjs'), 'run', '--llm', `openai:${server.baseUrl}`, '--root-model', 'peer-root', '--sub-model', 'peer-sub',
        '--document', doc, '--question', 'Benchmark question: reply as scripted.', '--max-iterations', String(maxIterations), '--quiet', '--output', 'json', '--state-dir', stateDir],
      env: { ...base, RLM_OPENAI_API_KEY: 'peer' },
    };
  }
  if (impl === 'floor') {
    return { cmd: process.execPath, args: ['--require', 'tsx/cjs', path.join(__dirname, 'peer/floor-driver.ts'), server.baseUrl, doc, String(maxIterations)], env: base };
  }
  return {
    cmd: 'python3',
    args: [path.join(__dirname, 'peer/reference_driver.py'), server.baseUrl, doc, String(maxIterations)],
    env: { ...base, PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: [dirs.reference!, path.join(__dirname, 'peer/stubs')].join(path.delimiter) },
  };
}

async function runOnce(impl: Impl, measure: Measure, server: FakeServer, doc: string, tmp: string, dirs: Checkouts): Promise<Figures> {
  const script = measure.script(impl);
  let pid: number | undefined;
  const cpuAtArrival: Record<number, number> = {};
  const trace = server.arm(script, (k) => {
    if (pid !== undefined && measure.cpuAtArrivals?.includes(k)) cpuAtArrival[k] = treeCpuMs(pid);
  });
  const stateDir = mkdtempSync(path.join(tmp, 'state-'));
  const { cmd, args, env } = commandFor(impl, server, doc, script.turns + 5, stateDir, dirs);
  const run: RunOutcome = { ...(await runSampled(cmd, args, env, 600_000, 50, (p) => (pid = p))), cpuAtArrival };
  rmSync(stateDir, { recursive: true, force: true });
  if (run.exitCode !== 0 || trace.rootArrivals.length < script.turns) {
    throw new Error(`${impl} ${measure.name}: exit ${run.exitCode}, ${trace.rootArrivals.length}/${script.turns} root calls\n${run.stderr.slice(-2000)}`);
  }
  return measure.read(trace, run);
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reference: { type: 'string' }, ours: { type: 'string' }, runs: { type: 'string' }, only: { type: 'string' }, floor: { type: 'boolean' }, keep: { type: 'boolean' } } });
  const reference = values.reference ? path.resolve(values.reference) : undefined;
  const dirs: Checkouts = { ours: values.ours ? path.resolve(values.ours) : repo, reference };
  const runs = Number(values.runs ?? 3);
  const only = values.only?.split(',').map((s) => s.trim());
  const measures = MEASURES.filter((m) => !only || only.some((o) => m.name.startsWith(o)));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rlm-peer-'));
  const server = await startFakeServer();
  const docs = new Map<number, string>();
  const results: Array<{ measure: Measure; ours: Figures; ref?: Figures; floor?: Figures }> = [];
  try {
    for (const measure of measures) {
      if (!docs.has(measure.docChars)) {
        const file = path.join(tmp, `doc-${measure.docChars}.txt`);
        writeFileSync(file, makeDocument(measure.docChars));
        docs.set(measure.docChars, file);
      }
      const doc = docs.get(measure.docChars)!;
      const ours: Figures[] = [];
      const ref: Figures[] = [];
      const floor: Figures[] = [];
      const withFloor = values.floor && measure.name === 'turns';
      for (let i = 0; i < runs; i++) {
        const pair: Impl[] = reference ? (i % 2 === 0 ? ['ours', 'reference'] : ['reference', 'ours']) : ['ours'];
        const order: Impl[] = withFloor ? (i % 2 === 0 ? [...pair, 'floor'] : ['floor', ...pair]) : pair;
        for (const impl of order) ({ ours, reference: ref, floor })[impl].push(await runOnce(impl, measure, server, doc, tmp, dirs));
        process.stderr.write(`peer: ${measure.name} run ${i + 1}/${runs} done\n`);
      }
      results.push({ measure, ours: medianFigures(ours), ...(reference ? { ref: medianFigures(ref) } : {}), ...(withFloor ? { floor: medianFigures(floor) } : {}) });
    }
  } finally {
    await server.close();
    if (!values.keep) rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`\nbench/peer.ts: medians of ${runs} interleaved run(s) on ${os.cpus().length} cores, node ${process.version}, ours ${dirs.ours}${reference ? `, reference ${reference}` : ''}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  const floorColumn = results.some((r) => r.floor);
  console.log(`| measure | this project | reference | ratio |${floorColumn ? ' floor (sandbox process, no engine) |' : ''}\n|---|---|---|---|${floorColumn ? '---|' : ''}`);
  for (const { ours, ref, floor } of results) {
    for (const [k, v] of Object.entries(ours)) {
      const r = ref?.[k];
      const f = floorColumn ? ` ${floor ? fmt(floor[k]) : ''} |` : '';
      console.log(`| ${k} | ${fmt(v)} | ${fmt(r)} | ${r ? `${(v / r).toFixed(2)}x` : ''} |${f}`);
    }
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
