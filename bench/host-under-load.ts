/**
 * How well the host process (the CLI) keeps running while sandbox cells spin on every core: 4 Pyodide
 * sessions each run a cell that busy-loops for 3 s, while the host runs a timer every 5 ms doing 1 ms of
 * work (standing in for other runs' orchestration in `rlm batch`). Prints the timer ticks the host got
 * and its event-loop delay. Give one or more source trees (checkouts of this project) to compare them
 * in one process, interleaved (e.g. before and after process-priority.ts):
 *
 *   npx tsx bench/host-under-load.ts [--rounds 2] [TREE ...]     (default: this tree)
 */
import os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { DocumentStore, LanguageModel, SandboxSession } from '../lambdas/core/ports';

const SESSIONS = 4;
const SPIN_S = 3;
const TIMER_MS = 5;
const WORK_MS = 1;

const documents: DocumentStore = { resolve: async (uri) => [{ name: 'd.txt', uri, chars: 4 }], readText: async () => 'text', putArtifact: async (k) => k };
const model: LanguageModel = {
  description: 'instant',
  converse: async (req) => ({ content: [{ type: 'text', text: 'ok' }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 }, modelId: req.modelId, latencyMs: 0 }),
};

async function once(tree: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PyodideSandbox } = require(path.join(tree, 'lambdas/adapters/pyodide')) as typeof import('../lambdas/adapters/pyodide');
  const sandbox = new PyodideSandbox({ documents, subModel: model });
  const sessions: SandboxSession[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const { session } = await sandbox.start({ runId: `load-${i}`, documents: [{ name: 'd.txt', uri: 'd.txt', chars: 4 }], subModelId: 'fake', subConcurrency: 2, maxCaptureChars: 1000 });
    await session.execute('pass', { timeoutMs: 60_000 }); // booted: the boot is not in the window
    sessions.push(session);
  }
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  const timer = setInterval(() => {
    const end = performance.now() + WORK_MS;
    while (performance.now() < end);
    ticks++;
  }, TIMER_MS);
  delay.enable();
  const t0 = performance.now();
  await Promise.all(sessions.map((s) => s.execute(`import time\nt = time.time()\nwhile time.time() - t < ${SPIN_S}:\n    pass`, { timeoutMs: 60_000 })));
  const wallMs = performance.now() - t0;
  delay.disable();
  clearInterval(timer);
  await sandbox.closeAll();
  const ideal = wallMs / TIMER_MS;
  return `| ${tree} | ${wallMs.toFixed(0)} | ${ticks} of ~${ideal.toFixed(0)} | ${(delay.percentile(50) / 1e6).toFixed(1)} | ${(delay.percentile(99) / 1e6).toFixed(1)} | ${(delay.max / 1e6).toFixed(1)} |`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { rounds: { type: 'string' } }, allowPositionals: true });
  const trees = (positionals.length ? positionals : [path.join(__dirname, '..')]).map((t) => path.resolve(t));
  const rounds = Number(values.rounds ?? 2);
  const rows: string[] = [];
  for (let r = 0; r < rounds; r++) for (const tree of trees) rows.push(await once(tree));
  process.stdout.write([
    `bench/host-under-load.ts: ${SESSIONS} cells spinning ${SPIN_S} s on ${os.cpus().length} cores; host timer every ${TIMER_MS} ms doing ${WORK_MS} ms of work (node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)})`, '',
    '| tree | spin wall ms | host timer ticks | event-loop delay p50 ms | p99 ms | max ms |', '|---|---|---|---|---|---|', ...rows, '',
  ].join('\n'));
  process.exit(0);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
