/**
 * Same-run comparison of the `llm_query` bridge and cell start between source trees (e.g. the code
 * before the process boundary and this one), robust on a shared machine: one process loads each tree's
 * Pyodide adapter, starts one session per tree, and interleaves short measurement cells between the
 * sessions round by round, so every tree sees the same load. Prints per-tree medians.
 *
 *   npx tsx bench/bridge-compare.ts /work/wt/before .            # before vs this tree
 *   npx tsx bench/bridge-compare.ts --rounds 30 /work/wt/before .
 *
 * Measured per round and tree: a cell of N sequential `llm_query` calls to a zero-latency model
 * (µs per call), one `llm_query_batched` of N prompts (µs per prompt), and M `execute('pass')` cells
 * (µs per cell). Also the CPU time of the sequential cells per call, summed over all rounds: this
 * process (host side, and the worker thread of an in-process sandbox) plus the session's own sandbox
 * process when it has one (from /proc, 10 ms ticks, hence the sum).
 */
import os from 'node:os';
import path from 'node:path';
import type { LanguageModel, ModelRequest, ModelResponse, SandboxSession } from '../lambdas/core/ports';
import { processCpuUs } from './peer/procs';

const CALLS = 300;
const CELLS = 50;

class InstantModel implements LanguageModel {
  readonly description = 'bench-instant';
  async converse(req: ModelRequest): Promise<ModelResponse> {
    return { content: [{ type: 'text', text: 'ok' }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 }, modelId: req.modelId, latencyMs: 0 };
  }
}

interface Tree {
  label: string;
  session: SandboxSession;
  stop: () => Promise<void>;
  pid?: number;
  seq: number[];
  batched: number[];
  cell: number[];
  cpuUs: number;
  calls: number;
}

function cpuNow(tree: Tree): number {
  const own = process.cpuUsage();
  return own.user + own.system + processCpuUs(tree.pid);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const us = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e3;

async function run(session: SandboxSession, code: string): Promise<void> {
  const r = await session.execute(code, { timeoutMs: 300_000 });
  if (r.raised || r.timedOut) throw new Error(`cell failed: ${r.stderr}`);
}

async function open(dir: string): Promise<Tree> {
  const root = path.resolve(dir);
  const mod = (await import(path.join(root, 'lambdas/adapters/pyodide/index.ts'))) as typeof import('../lambdas/adapters/pyodide');
  const documents = { resolve: async (uri: string) => [{ name: uri, uri, chars: 0 }], readText: async () => '', putArtifact: async (k: string) => k };
  const sandbox = new mod.PyodideSandbox({ documents, subModel: new InstantModel() });
  const { session } = await sandbox.start({ runId: 'bench-compare', documents: [], subModelId: 'fake', subConcurrency: 16, maxCaptureChars: 100_000 });
  await run(session, `r = [llm_query("warm") for _ in range(300)]\nr = llm_query_batched(["warm"] * 300)`);
  for (let i = 0; i < 50; i++) await run(session, 'pass');
  const pid = (session as { pid?: number }).pid;
  // the channel of the session (trees with host-link.ts: 'fifo' or 'socket'; older trees: none)
  const kind = (session as unknown as { channel?: { kind?: string } }).channel?.kind;
  return { label: `${path.basename(root)} (${root})${typeof kind === 'string' ? `, ${kind}` : ''}`, session, pid, stop: () => sandbox.stop(session.sessionId), seq: [], batched: [], cell: [], cpuUs: 0, calls: 0 };
}

async function measure(tree: Tree): Promise<void> {
  const cpu0 = cpuNow(tree);
  let t0 = process.hrtime.bigint();
  await run(tree.session, `r = [llm_query("p") for _ in range(${CALLS})]`);
  tree.seq.push(us(t0) / CALLS);
  tree.cpuUs += cpuNow(tree) - cpu0;
  tree.calls += CALLS;
  t0 = process.hrtime.bigint();
  await run(tree.session, `r = llm_query_batched(["p"] * ${CALLS})`);
  tree.batched.push(us(t0) / CALLS);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < CELLS; i++) await run(tree.session, 'pass');
  tree.cell.push(us(t0) / CELLS);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let rounds = 20;
  const dirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--rounds') rounds = Number(args[++i]);
    else dirs.push(args[i]!);
  }
  if (dirs.length < 1 || !(rounds > 0)) throw new Error('usage: bridge-compare.ts [--rounds N] TREE...');
  const trees: Tree[] = [];
  for (const dir of dirs) trees.push(await open(dir));
  const load0 = os.loadavg()[0]!;
  for (let r = 0; r < rounds; r++) {
    // alternate the order too, so neither tree always runs first in a round
    const order = r % 2 ? [...trees].reverse() : trees;
    for (const tree of order) await measure(tree);
  }
  const load1 = os.loadavg()[0]!;
  for (const tree of trees) await tree.stop();
  console.log(`${rounds} interleaved rounds; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} on ${os.cpus().length} cores; node ${process.version}`);
  console.log('| tree | `llm_query` round trip | CPU per `llm_query` | per prompt in `llm_query_batched` | cell start |');
  console.log('|---|---|---|---|---|');
  for (const t of trees) {
    const cpu = `${(t.cpuUs / t.calls).toFixed(0)} µs`;
    console.log(`| ${t.label} | ${median(t.seq).toFixed(0)} µs | ${cpu} | ${median(t.batched).toFixed(1)} µs | ${median(t.cell).toFixed(0)} µs |`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
