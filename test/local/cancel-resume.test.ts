/**
 * h3's cancellation meets h6's durable runs: a run cancelled mid-cell (its sub-call in flight) is recorded
 * `cancelled` with its steps, and `LocalEngine.resume` on a new engine continues it from the last recorded
 * step (the recorded root replies are not asked for again, the interrupted cell is not run again) to the
 * answer, with turn indices 1..n. Real parts: aws-local-stepfunctions, the on-disk store, Pyodide.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScriptedModel, type Script } from '../../lambdas/adapters/models';
import type { LanguageModel, ModelCallOptions, ModelRequest, ModelResponse } from '../../lambdas/core/ports';
import { LocalEngine } from '../../bin/local/local-engine';
import { toFileUri } from '../../lambdas/adapters/documents';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-cancel-resume-'));
const doc = path.join(dir, 'doc.txt');
writeFileSync(doc, 'alpha beta gamma\n');
const SCRIPT: Script = {
  root: [{ code: 'print("first turn")' }, { code: 'print(llm_query("slow"))' }, { code: 'FINAL("done after resume")' }],
  sub: { rules: [{ match: 'slow', reply: 'late', latencyMs: 120_000 }] },
};

/** Counts calls by role. */
class Counting implements LanguageModel {
  readonly description = 'counting';
  readonly calls: string[] = [];
  constructor(private readonly inner: LanguageModel) {}
  converse(request: ModelRequest, options?: ModelCallOptions): Promise<ModelResponse> {
    this.calls.push(request.role);
    return this.inner.converse(request, options);
  }
}

test('a cancelled run keeps its steps and resumes from the last one to the answer', async () => {
  const stateDir = path.join(dir, 'state');
  const runDefaults = { rootModelId: 'scripted', subModelId: 'scripted' };
  const first = new Counting(new ScriptedModel(SCRIPT, { source: 'cancel-resume' }));
  const engine = await LocalEngine.start({ model: first, stateDir, runDefaults });
  let cancelled;
  try {
    const running = engine.run({ question: 'q', documents: [toFileUri(doc)] }, { runId: 'cancel-then-resume' });
    for (let i = 0; i < 1200 && !first.calls.includes('sub'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(first.calls.filter((r) => r === 'sub')).toHaveLength(1);
    engine.cancel('cancelled by the test');
    cancelled = await running;
  } finally {
    await engine.close();
  }
  expect(cancelled).toMatchObject({ runId: 'cancel-then-resume', status: 'cancelled', stopReason: 'cancelled' });
  expect(first.calls.filter((r) => r === 'root')).toHaveLength(2);

  const second = new Counting(new ScriptedModel(SCRIPT, { source: 'cancel-resume' }));
  const again = await LocalEngine.start({ model: second, stateDir, runDefaults });
  try {
    const resumed = await again.resume('cancel-then-resume');
    expect(resumed).toMatchObject({ runId: 'cancel-then-resume', status: 'succeeded', answer: 'done after resume', iterations: 3 });
    const turns = await again.deps.store.listTurns('cancel-then-resume');
    expect(turns.map((t) => t.index)).toEqual([1, 2, 3]);
    expect(turns[0].cells[0].fullOutput).toContain('first turn');
    // Only turn 3's reply was asked for; turn 2's cell (cut by the cancel) was not run again.
    expect(second.calls).toEqual(['root']);
  } finally {
    await again.close();
  }
}, 240_000);
