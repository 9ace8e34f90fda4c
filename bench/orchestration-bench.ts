/**
 * Orchestration benchmarks of the local engine (same definition and handlers as on AWS):
 *  1. per-turn overhead with a zero-latency scripted model: the time between the starts of two
 *     consecutive turns minus the cell's own execution time (state machine transitions, DynamoDB
 *     reads/writes on dynalite, conversation rebuild, sandbox round trip);
 *  2. root prompt size at turn 10 for a 100K- vs a 16M-character document.
 * Usage: npx tsx bench/orchestration-bench.ts [--turns 30]
 */
import '../bin/cli/quiet-sdk';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScriptedModel, type Script } from '../lambdas/adapters/models';
import type { LanguageModel, ModelRequest, ModelResponse } from '../lambdas/core/ports';
import { LocalEngine } from '../bin/local/local-engine';

const turnsArg = process.argv.indexOf('--turns');
const TURNS = turnsArg > 0 ? Number(process.argv[turnsArg + 1]) : 30;

class PromptSizes implements LanguageModel {
  readonly description = 'sizes';
  readonly rootPromptChars: number[] = [];
  constructor(private readonly inner: LanguageModel) {}
  async converse(req: ModelRequest): Promise<ModelResponse> {
    if (req.role === 'root') this.rootPromptChars.push((req.system ?? '').length + JSON.stringify(req.messages).length);
    return this.inner.converse(req);
  }
}

function logDoc(chars: number): string {
  const line = 'INFO node-7 request handled in 42 ms; user=alice action=read\n';
  const errLine = 'ERROR node-3 timeout talking to upstream db after 3000 ms\n';
  let out = '';
  let i = 0;
  while (out.length < chars) out += ++i % 50 === 0 ? errLine : line;
  return out.slice(0, chars);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function overhead(dir: string): Promise<void> {
  const doc = path.join(dir, 'small.log');
  writeFileSync(doc, logDoc(100_000));
  const root = Array.from({ length: TURNS - 1 }, (_, i) => ({ code: `x${i} = ${i}\nprint(x${i})` }));
  root.push({ code: 'FINAL("done")' });
  const model = new ScriptedModel({ root } as Script, { source: 'bench' });
  const starts: number[] = [];
  const cellMs: number[] = [];
  const engine = await LocalEngine.start({
    model, stateDir: path.join(dir, 'state'), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted', maxIterations: TURNS + 1 },
    progress: {
      turnStarted: () => starts.push(performance.now()),
      turnFinished: ({ turn }) => cellMs.push(turn.cells.reduce((n, c) => n + c.result.durationMs, 0)),
    },
  });
  const t0 = performance.now();
  const summary = await engine.run({ question: 'bench', documents: [doc] });
  const total = performance.now() - t0;
  await engine.close();
  const per = starts.slice(1).map((s, i) => s - starts[i] - cellMs[i]);
  console.log(`\n1. Orchestration overhead per turn (${summary.iterations} turns, zero-latency scripted model, 100K-char document)`);
  console.log(`   median ${pct(per, 50).toFixed(1)} ms · p90 ${pct(per, 90).toFixed(1)} ms · max ${Math.max(...per).toFixed(1)} ms · cell time excluded (median ${pct(cellMs, 50)} ms)`);
  console.log(`   whole run ${(total / 1000).toFixed(2)} s including sandbox start; target: median < 25 ms -> ${pct(per, 50) < 25 ? 'MET' : 'MISSED'}`);
}

async function promptSize(dir: string): Promise<void> {
  const code = [
    'print(len(context), len(documents))',
    'print(context[:500])',
    "import re\nerrs = re.findall(r'^ERROR .*$', context, re.M)\nprint(len(errs)); print(errs[:3])",
    'lines = context.splitlines()\nprint(len(lines), lines[-1][:80])',
    "from collections import Counter\nc = Counter(l.split()[0] for l in lines if l)\nprint(c.most_common(3))",
    "chunk = context[:50_000]\nprint(len(chunk))",
    "r = llm_query('Summarise: ' + chunk[:20_000])\nprint(r[:200])",
    'print(context[len(context)//2 : len(context)//2 + 300])',
    'SHOW_VARS()',
    'print("turn 10")',
    'FINAL("x")',
  ].map((c) => ({ code: c }));
  const sizes: Record<string, number> = {};
  for (const [label, chars] of [['100K', 100_000], ['16M', 16_000_000]] as const) {
    const file = path.join(dir, `doc-${label}.log`);
    writeFileSync(file, logDoc(chars));
    const spy = new PromptSizes(new ScriptedModel({ root: code, sub: { default: 'a summary of the chunk' } } as Script, { source: 'bench' }));
    const engine = await LocalEngine.start({ model: spy, stateDir: path.join(dir, `state-${label}`), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' } });
    await engine.run({ question: 'How many errors are there?', documents: [file] });
    await engine.close();
    sizes[label] = spy.rootPromptChars[9];
  }
  const diff = Math.abs(sizes['16M'] - sizes['100K']) / sizes['100K'];
  console.log('\n2. Root prompt size at turn 10 (system + messages, characters)');
  console.log(`   100K-char document: ${sizes['100K'].toLocaleString('en-US')} · 16M-char document: ${sizes['16M'].toLocaleString('en-US')} · difference ${(diff * 100).toFixed(3)}%`);
  console.log(`   target: equal within 1% -> ${diff < 0.01 ? 'MET' : 'MISSED'}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-bench-'));
  console.log(`Orchestration bench on ${process.platform}/${process.arch}, node ${process.version}`);
  await overhead(dir);
  await promptSize(dir);
}

main().catch((err) => { console.error(err); process.exit(1); });
