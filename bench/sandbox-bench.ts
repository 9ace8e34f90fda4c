/**
 * Pyodide sandbox benchmark: sub-call fan-out and large-document loading.
 *
 *   npx tsx bench/sandbox-bench.ts            # both parts
 *   npx tsx bench/sandbox-bench.ts --quick    # 16M document only
 *   npx tsx bench/sandbox-bench.ts --bridge   # bridge round-trip and cell start only
 *
 * (a) 64 prompts to a fake sub model with 200 ms latency: one `llm_query_batched` at concurrency 16
 *     vs 64 `llm_query` calls in one cell. Target: >= 12x.
 * (c) bridge round-trip: `llm_query` against a zero-latency model (the cost of the host bridge alone), and
 *     cell-start cost: a cell of `pass` (the cost of one `execute` round-trip). Must not get slower; to
 *     compare two source trees on a shared machine use `bench/bridge-compare.ts` (interleaved, one run).
 * (b) 16M- and 100M-character generated documents: start() to ready, the worker-side document load,
 *     and a regex scan over `context` in a cell. Target: 100M ready in under 5 s.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { PyodideSandbox, stopAllPyodideSessions, type PyodideSession } from '../lambdas/adapters/pyodide';
import type { DocumentStore, LanguageModel, ModelRequest, ModelResponse, SandboxSession } from '../lambdas/core/ports';

const SUB_LATENCY_MS = 200;
const PROMPTS = 64;
const CONCURRENCY = 16;
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const rss = () => process.memoryUsage().rss;
/** Resident memory of another process (the session's sandbox process), 0 when unknown. */
const rssOf = (pid: number | undefined) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};

class SlowModel implements LanguageModel {
  readonly description = 'bench-fake';
  async converse(req: ModelRequest): Promise<ModelResponse> {
    await new Promise((r) => setTimeout(r, SUB_LATENCY_MS));
    const first = req.messages[0]?.content[0];
    const text = `reply to ${first?.type === 'text' ? first.text : ''}`;
    return { content: [{ type: 'text', text }], stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 5 }, modelId: req.modelId, latencyMs: SUB_LATENCY_MS };
  }
}

class InstantModel implements LanguageModel {
  readonly description = 'bench-instant';
  async converse(req: ModelRequest): Promise<ModelResponse> {
    return { content: [{ type: 'text', text: 'ok' }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 }, modelId: req.modelId, latencyMs: 0 };
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Bridge round-trip (zero-latency model) and cell-start cost, medians over repeated rounds. */
async function bridgeAndCellStart(): Promise<string[]> {
  const sandbox = new PyodideSandbox({ documents: storeOf({}), subModel: new InstantModel() });
  const { session } = await sandbox.start({ runId: 'bench-bridge', documents: [], subModelId: 'fake', subConcurrency: 16, maxCaptureChars: 100_000 });
  const CALLS = 500;
  const CELLS = 200;
  await cell(session, `r = [llm_query("warm") for _ in range(50)]`);
  for (let i = 0; i < 20; i++) await cell(session, 'pass');
  const perCall: number[] = [];
  const perBatched: number[] = [];
  for (let round = 0; round < 5; round++) {
    const seq = await cell(session, `r = [llm_query("p") for _ in range(${CALLS})]\nprint(len(r))`);
    perCall.push((seq.wallMs * 1000) / CALLS);
    const bat = await cell(session, `r = llm_query_batched(["p"] * ${CALLS})\nprint(len(r))`);
    perBatched.push((bat.wallMs * 1000) / CALLS);
  }
  const perCell: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CELLS; i++) await cell(session, 'pass');
    perCell.push(Number(process.hrtime.bigint() - t0) / 1e3 / CELLS);
  }
  await sandbox.stop(session.sessionId);
  return [
    `| bridge: one \`llm_query\` round-trip, zero-latency model (median of 5 x ${CALLS}) | ${median(perCall).toFixed(0)} µs | |`,
    `| bridge: per prompt in one \`llm_query_batched\` of ${CALLS} (median of 5) | ${median(perBatched).toFixed(0)} µs | |`,
    `| cell start: \`execute('pass')\` round-trip (median of 5 x ${CELLS}) | ${median(perCell).toFixed(0)} µs | |`,
  ];
}

/** A log-like document of exactly `chars` characters; returns it with the number of `ERROR <n>` matches. */
function generateDocument(chars: number): { text: string; errors: number } {
  const lines: string[] = [];
  let seed = 12345;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const level = seed % 37 === 0 ? `ERROR ${seed % 1000}` : 'INFO';
    lines.push(`2025-01-01T00:00:${String(i % 60).padStart(2, '0')}Z ${level} svc-${seed % 7} request ${seed % 100000} done in ${seed % 900}ms`);
  }
  const block = lines.join('\n') + '\n';
  const text = block.repeat(Math.ceil(chars / block.length)).slice(0, chars);
  text.indexOf('\u0000'); // flatten the rope now, as a file read would give a flat string
  return { text, errors: (text.match(/ERROR \d+/g) ?? []).length };
}

function storeOf(docs: Record<string, string>): DocumentStore {
  return {
    resolve: async (uri) => [{ name: uri, uri, chars: 0 }],
    readText: async (uri) => docs[uri] ?? '',
    putArtifact: async (key) => key,
  };
}

async function cell(session: SandboxSession, code: string): Promise<{ wallMs: number; stdout: string }> {
  const t0 = Date.now();
  const r = await session.execute(code, { timeoutMs: 300_000 });
  if (r.raised || r.timedOut) throw new Error(`cell failed: ${r.stderr}`);
  return { wallMs: Date.now() - t0, stdout: r.stdout.trim() };
}

async function fanOut(): Promise<string[]> {
  const sandbox = new PyodideSandbox({ documents: storeOf({}), subModel: new SlowModel() });
  const { session } = await sandbox.start({ runId: 'bench-fanout', documents: [], subModelId: 'fake', subConcurrency: CONCURRENCY, maxCaptureChars: 100_000 });
  const batched = await cell(session, `r = llm_query_batched(["p%d" % i for i in range(${PROMPTS})])\nprint(len(r), sum(x.startswith("reply to p") for x in r))`);
  const sequential = await cell(session, `r = [llm_query("p%d" % i) for i in range(${PROMPTS})]\nprint(len(r), sum(x.startswith("reply to p") for x in r))`);
  await sandbox.stop(session.sessionId);
  for (const c of [batched, sequential]) if (c.stdout !== `${PROMPTS} ${PROMPTS}`) throw new Error(`unexpected replies: ${c.stdout}`);
  const speedup = sequential.wallMs / batched.wallMs;
  return [
    `| llm_query_batched, ${PROMPTS} prompts, concurrency ${CONCURRENCY} | ${batched.wallMs} ms | ideal ${Math.ceil(PROMPTS / CONCURRENCY) * SUB_LATENCY_MS} ms |`,
    `| ${PROMPTS} sequential llm_query in one cell | ${sequential.wallMs} ms | ideal ${PROMPTS * SUB_LATENCY_MS} ms |`,
    `| speedup (target >= 12x) | ${speedup.toFixed(1)}x | ${speedup >= 12 ? 'met' : 'MISSED'} |`,
  ];
}

async function loadAndScan(chars: number): Promise<string[]> {
  const label = `${chars / 1e6}M chars`;
  const { text, errors } = generateDocument(chars);
  const sandbox = new PyodideSandbox({ documents: storeOf({ 'mem://big.log': text }), subModel: new SlowModel() });
  const rss0 = rss();
  const t0 = Date.now();
  const { session, loaded } = await sandbox.start({
    runId: 'bench-load', documents: [{ name: 'big.log', uri: 'mem://big.log', chars: 0 }], subModelId: 'fake', subConcurrency: 4, maxCaptureChars: 100_000,
  });
  // start() returns once the documents are read (the first root call need not wait for the boot): ready
  // means booted with the documents installed.
  await (session as PyodideSession).ready();
  const readyMs = Date.now() - t0;
  const timings = sandbox.lastStart!;
  const rssLoaded = rss();
  const sandboxRss = rssOf((session as PyodideSession).pid);
  if (loaded.totalChars !== chars) throw new Error(`loaded ${loaded.totalChars} chars, expected ${chars}`);
  const scan = await cell(session, `import re\nprint(len(re.findall(r'ERROR \\d+', context)))`);
  if (Number(scan.stdout) !== errors) throw new Error(`scan found ${scan.stdout}, expected ${errors}`);
  const count = await cell(session, `print(context.count('ERROR '))`);
  const rssScan = rss();
  await sandbox.stop(session.sessionId);
  const target = chars >= 100e6 ? (readyMs < 5000 ? ' (target < 5 s: met)' : ' (target < 5 s: MISSED)') : '';
  return [
    `| ${label}: start() to ready${target} | ${readyMs} ms | boot ${timings.bootMs} ms, host read+encode ${timings.readMs} ms (overlaps boot) |`,
    `| ${label}: document load in the worker (decode + install) | ${timings.loadMs} ms | |`,
    `| ${label}: cell \`len(re.findall(r'ERROR \\d+', context))\` | ${scan.wallMs} ms | ${errors.toLocaleString('en-US')} matches |`,
    `| ${label}: cell \`context.count('ERROR ')\` | ${count.wallMs} ms | |`,
    `| ${label}: CLI process RSS before / loaded / after scan | ${mb(rss0)} / ${mb(rssLoaded)} / ${mb(rssScan)} | host string |`,
    `| ${label}: sandbox process RSS when loaded | ${mb(sandboxRss)} | CPython heap with the document |`,
  ];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}, ${mb(os.totalmem())} RAM`);
  const rows = ['| measurement | figure | note |', '|---|---|---|'];
  rows.push(...(await bridgeAndCellStart()));
  if (process.argv.includes('--bridge')) {
    console.log(rows.join('\n'));
    return;
  }
  if (!quick) rows.push(...(await fanOut()));
  rows.push(...(await loadAndScan(16_000_000)));
  if (!quick) rows.push(...(await loadAndScan(100_000_000)));
  console.log(rows.join('\n'));
  console.log(`process RSS at the end: ${mb(rss())}`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => stopAllPyodideSessions());
