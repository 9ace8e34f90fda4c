/**
 * What recording sub-calls durably costs per call (issue 10): one Pyodide session, cells of N sequential
 * `llm_query` calls and one `llm_query_batched` of N prompts to a zero-latency model, run through core's
 * `SubCallJournal` in three modes interleaved round by round (same load for each):
 *
 * - `none`: no journal (what bench/bridge-compare.ts measures);
 * - `batched`: `sub_calls` steps every 250 ms (a store without a synchronous log, like DynamoDB);
 * - `sync`: the local store's synchronous sub-call log (every start and end appended before the call goes
 *   out and before its answer goes back to the code: what `rlm run` does).
 *
 * Prints the median round trip per call and the CPU per call of the host process (where the journal runs)
 * and of the sandbox process. `npx tsx bench/sub-call-journal-bench.ts [--rounds 20]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PyodideSandbox } from '../lambdas/adapters/pyodide';
import { FileConversationStore } from '../lambdas/adapters/local-store';
import type { EngineDeps } from '../lambdas/core/engine-deps';
import { noMetrics, silentLogger, type CellExecOptions, type LanguageModel, type ModelRequest, type ModelResponse, type SandboxSession } from '../lambdas/core/ports';
import { StepLog } from '../lambdas/core/run/step-log';
import { SubCallJournal } from '../lambdas/core/run/sub-call-journal';
import { processCpuUs } from './peer/procs';

const CALLS = 300;

class InstantModel implements LanguageModel {
  readonly description = 'bench-instant';
  async converse(req: ModelRequest): Promise<ModelResponse> {
    return { content: [{ type: 'text', text: 'ok' }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 }, modelId: req.modelId, latencyMs: 0 };
  }
}

type Mode = 'none' | 'batched' | 'sync';
interface Figures { seq: number[]; batched: number[]; hostUs: number; sandboxUs: number; calls: number }

const hostCpuUs = () => { const c = process.cpuUsage(); return c.user + c.system; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function depsFor(mode: Mode, store: FileConversationStore): EngineDeps {
  // `batched`: the store seen without its synchronous log, as core sees DynamoDB.
  const seen = mode === 'sync' ? store : { listSteps: store.listSteps.bind(store), putStep: store.putStep.bind(store) };
  return {
    store: seen as never, sandbox: undefined as never, model: undefined as never, events: { runFinished: async () => {} }, metrics: noMetrics,
    logger: silentLogger, documents: { resolve: async () => [], readText: async () => '', putArtifact: async (k) => `mem://${k}` },
  };
}

let turn = 0;
async function cell(session: SandboxSession, mode: Mode, deps: EngineDeps, code: string): Promise<void> {
  let options: CellExecOptions = { timeoutMs: 300_000 };
  let journal: SubCallJournal | undefined;
  if (mode !== 'none') {
    const log = await StepLog.load(deps, 'bench-journal', ++turn);
    await log.append({ kind: 'cell_started', at: new Date().toISOString(), cell: 1 });
    journal = new SubCallJournal(deps, log, 1);
    const j = journal;
    options = { ...options, onSubCalls: (p) => j.progress(p), onSubCallDone: j.onSubCallDone };
  }
  const r = await session.execute(code, options);
  await journal?.drain();
  if (r.raised || r.timedOut || r.sub.calls !== CALLS) throw new Error(`cell failed: ${r.stderr}`);
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--rounds');
  const rounds = at > 0 ? Number(process.argv[at + 1]) : 20;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rlm-journal-bench-'));
  const store = new FileConversationStore({ dir });
  const documents = { resolve: async (uri: string) => [{ name: uri, uri, chars: 0 }], readText: async () => '', putArtifact: async (k: string) => k };
  const sandbox = new PyodideSandbox({ documents, subModel: new InstantModel() });
  const { session } = await sandbox.start({ runId: 'bench-journal', documents: [], subModelId: 'fake', subConcurrency: 16, maxCaptureChars: 100_000 });
  const pid = (session as { pid?: number }).pid;
  const modes: Mode[] = ['none', 'batched', 'sync'];
  const figures = new Map<Mode, Figures>(modes.map((m) => [m, { seq: [], batched: [], hostUs: 0, sandboxUs: 0, calls: 0 }]));
  const deps = new Map(modes.map((m) => [m, depsFor(m, store)]));
  for (const m of modes) await cell(session, m, deps.get(m)!, `r = [llm_query("warm") for _ in range(${CALLS})]`); // warm-up
  const load0 = os.loadavg()[0]!;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...modes].reverse() : modes;
    for (const m of order) {
      const f = figures.get(m)!;
      const h0 = hostCpuUs();
      const s0 = processCpuUs(pid);
      let t0 = process.hrtime.bigint();
      await cell(session, m, deps.get(m)!, `r = [llm_query("p") for _ in range(${CALLS})]`);
      f.seq.push(Number(process.hrtime.bigint() - t0) / 1e3 / CALLS);
      f.hostUs += hostCpuUs() - h0;
      f.sandboxUs += processCpuUs(pid) - s0;
      f.calls += CALLS;
      t0 = process.hrtime.bigint();
      await cell(session, m, deps.get(m)!, `r = llm_query_batched(["p"] * ${CALLS})`);
      f.batched.push(Number(process.hrtime.bigint() - t0) / 1e3 / CALLS);
    }
  }
  const load1 = os.loadavg()[0]!;
  await sandbox.stop(session.sessionId);
  rmSync(dir, { recursive: true, force: true });
  console.log(`${rounds} interleaved rounds of ${CALLS} calls; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} on ${os.cpus().length} cores; node ${process.version}`);
  console.log('| journal | `llm_query` round trip | host CPU per `llm_query` | sandbox CPU per `llm_query` | per prompt in `llm_query_batched` |');
  console.log('|---|---|---|---|---|');
  for (const m of modes) {
    const f = figures.get(m)!;
    console.log(`| ${m} | ${median(f.seq).toFixed(1)} µs | ${(f.hostUs / f.calls).toFixed(1)} µs | ${(f.sandboxUs / f.calls).toFixed(1)} µs | ${median(f.batched).toFixed(1)} µs |`);
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
