/**
 * `runRlm` and `runBatch` take an AbortSignal and cancel like Ctrl-C does for the CLI: real parts (the local
 * engine, aws-local-stepfunctions, dynalite, Pyodide). The signal fires while a sub-call is in flight: the call
 * is aborted, the run resolves `cancelled` promptly and its trajectory keeps the turn that ran before.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runBatch } from '../../api/run-batch';
import { runRlm } from '../../api/run-rlm';
import { ScriptedModel } from '../../lambdas/adapters/models';
import type { LanguageModel, ModelCallOptions, ModelRequest, ModelResponse } from '../../lambdas/core/ports';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-api-abort-'));
const doc = path.join(dir, 'doc.txt');
writeFileSync(doc, 'alpha beta gamma\n');
const script = {
  root: [{ code: 'print("first turn")' }, { code: 'print(llm_query("slow"))' }, { code: 'FINAL("never")' }],
  sub: { rules: [{ match: 'slow', reply: 'late', latencyMs: 120_000 }] },
};

/** A scripted model that aborts `controller` as soon as the first sub-call starts, and remembers that call's signal. */
class AbortOnSubCall implements LanguageModel {
  readonly description = 'abort-on-sub-call';
  subSignal?: AbortSignal;
  private readonly inner = new ScriptedModel(script);
  constructor(private readonly controller: AbortController) {}
  async converse(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    if (request.role === 'sub' && !this.subSignal) {
      this.subSignal = options.signal;
      setTimeout(() => this.controller.abort(), 50);
    }
    return this.inner.converse(request, options);
  }
}

test('runRlm: the signal cancels the run mid-cell; it resolves cancelled with its transcript', async () => {
  const controller = new AbortController();
  const model = new AbortOnSubCall(controller);
  const t0 = Date.now();
  const summary = await runRlm({
    question: 'q', documents: doc, llm: model, stateDir: path.join(dir, 'state'), signal: controller.signal,
    rootModelId: 'scripted', subModelId: 'scripted',
  });
  expect(summary).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', stopDetail: 'cancelled through the AbortSignal', answer: null });
  expect(Date.now() - t0).toBeLessThan(60_000); // the sub-call would take 120 s
  expect(model.subSignal?.aborted).toBe(true);
  const trajectory = JSON.parse(readFileSync(summary.trajectoryPath as string, 'utf8'));
  expect(trajectory.run).toMatchObject({ status: 'cancelled' });
  expect(trajectory.turns[0].cells[0].fullOutput).toContain('first turn');
}, 120_000);

test('runRlm: an already aborted signal never runs a turn', async () => {
  const summary = await runRlm({
    question: 'q', documents: doc, llm: new ScriptedModel(script), stateDir: path.join(dir, 'state0'),
    signal: AbortSignal.abort(), rootModelId: 'scripted', subModelId: 'scripted',
  });
  expect(summary).toMatchObject({ status: 'cancelled', iterations: 0 });
}, 60_000);

test('runBatch: the signal cancels the item in flight; the summary is still written', async () => {
  const scriptFile = path.join(dir, 'script.json');
  writeFileSync(scriptFile, JSON.stringify(script));
  const manifest = path.join(dir, 'batch.jsonl');
  writeFileSync(manifest, [
    JSON.stringify({ id: 'one', question: 'q', documents: ['doc.txt'] }),
    JSON.stringify({ id: 'two', question: 'q', documents: ['doc.txt'] }),
  ].join('\n') + '\n');
  const controller = new AbortController();
  const lines: string[] = [];
  const running = runBatch({
    manifest, llm: `scripted:${scriptFile}`, concurrency: 1, stateDir: path.join(dir, 'state-batch'),
    signal: controller.signal, onItem: (l) => lines.push(l),
  });
  // The first item's second turn waits 120 s on its sub-call; cancel once the batch has started.
  setTimeout(() => controller.abort(), 4_000);
  const { summary, lines: results, outDir } = await running;
  expect(results).toHaveLength(2);
  expect(results.every((r) => r.status !== 'succeeded')).toBe(true);
  expect(JSON.parse(readFileSync(path.join(outDir, 'summary.json'), 'utf8'))).toMatchObject({ batchId: summary.batchId });
  for (const r of results) expect(r).toMatchObject({ status: 'failed', stopReason: 'cancelled', error: expect.stringContaining('cancelled through the AbortSignal') });
  expect(lines.filter((l) => /\] (one|two) failed/.test(l))).toHaveLength(2);
}, 120_000);
