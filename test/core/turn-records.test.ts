/**
 * What a turn records and reports: per-turn cost and running totals, the progress hooks emitted from core
 * (model call started, retrying, cell started, sub-call counters), the explicit root output limit, and the
 * step log a turn leaves behind (reply before cells, each cell started then done).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { noMetrics, silentLogger, type LanguageModel, type ModelRequest, type ProgressListener } from '../../lambdas/core/ports';
import { runRootTurn, startRun } from '../../lambdas/core/run';
import { FileConversationStore } from '../../lambdas/adapters/local-store';
import { ScriptedModel } from '../../lambdas/adapters/models';
import { LedgerSandbox } from '../local/fault-kit';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-records-'));

test('turns carry their cost and the totals after them; core emits the progress hooks; root calls set maxOutputTokens', async () => {
  const script = new ScriptedModel({ root: [{ code: ['a = 1', 'sub 3'] }, { code: 'FINAL' }], sub: { default: 'ok' } }, { source: 't' });
  const requests: ModelRequest[] = [];
  const model: LanguageModel = {
    description: 'retrying-once',
    converse: async (req, options) => {
      if (req.role === 'root') {
        requests.push(req);
        if (requests.length === 1) options?.onRetry?.({ role: 'root', attempt: 1, maxAttempts: 4, delayMs: 10, error: 'ThrottlingException' });
      }
      return script.converse(req);
    },
  };
  const events: string[] = [];
  const progress: ProgressListener = {
    turnStarted: (i) => events.push(`turn ${i.iteration}`),
    modelCallStarted: (i) => events.push(`model ${i.iteration}`),
    retrying: (i) => events.push(`retry ${i.attempt}/${i.maxAttempts} ${i.error}`),
    cellStarted: (i) => events.push(`cell ${i.iteration}.${i.cell}`),
    turnFinished: (i) => events.push(`done ${i.turn.index}`),
  };
  const store = new FileConversationStore({ dir });
  const deps: EngineDeps = {
    store, sandbox: new LedgerSandbox(script), model, progress, logger: silentLogger, metrics: noMetrics, events: { runFinished: async () => {} },
    documents: { resolve: async (uri) => [{ name: 'doc', uri, chars: 1 }], readText: async () => '', putArtifact: async (k) => `mem://${k}` },
    prices: { scripted: { input: 1_000_000, output: 2_000_000 } }, // $1 / $2 per token: easy sums
  };
  await startRun(deps, { runId: 'rec-1', request: { question: 'q', documents: ['mem://doc'] } }, { rootModelId: 'scripted', subModelId: 'scripted', rootMaxOutputTokens: 1234 });
  await runRootTurn(deps, { runId: 'rec-1' });
  await runRootTurn(deps, { runId: 'rec-1' });

  expect(events).toEqual(['turn 1', 'model 1', 'retry 1/4 ThrottlingException', 'cell 1.1', 'cell 1.2', 'done 1', 'turn 2', 'model 2', 'cell 2.1', 'done 2']);
  expect(requests.map((r) => r.maxOutputTokens)).toEqual([1234, 1234]);

  const turns = await store.listTurns('rec-1');
  const [t1, t2] = turns;
  const rootCost = (t: typeof t1) => t.rootUsage.inputTokens + 2 * t.rootUsage.outputTokens;
  const subs = t1.cells[1].result.sub;
  expect(subs.calls).toBe(3);
  expect(subs.costUsd).toBe(subs.inputTokens + 2 * subs.outputTokens);
  expect(t1.costUsd).toBeCloseTo(rootCost(t1) + subs.costUsd!, 6);
  expect(t1.totalsAfter!.costUsd).toBeCloseTo(t1.costUsd!, 6);
  expect(t2.totalsAfter!.costUsd).toBeCloseTo(t1.costUsd! + t2.costUsd!, 6);
  expect(t2.totalsAfter!.subCalls).toBe(3);
  expect((await store.getRun('rec-1')).totals).toEqual(t2.totalsAfter);

  const steps = (await store.listSteps('rec-1', 1)).map((s) => s.step.kind + ('cell' in s.step ? ` ${s.step.cell}` : ''));
  expect(steps).toEqual(['reply', 'cell_started 1', 'cell_done 1', 'cell_started 2', 'cell_done 2']);
  // Cell 2's sub-calls went to the local store's synchronous sub-call log as they started and ended (attempt = its cell_started, step 4).
  const logged = await store.listSubCallEvents('rec-1', 1);
  expect(logged.length).toBeGreaterThan(0);
  expect(logged.every((e) => e.cell === 2 && e.attempt === 4)).toBe(true);
});
