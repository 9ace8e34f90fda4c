/**
 * The sub-call journal (core/run/sub-call-journal.ts): what an interrupted cell counts from its recorded
 * `sub_calls` steps (ended calls, and calls in flight as unfinished errors, per attempt), and the journal's
 * writes (batched, before the cell's result; a store failure absorbed, anything else surfaced), against
 * the real on-disk store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { ConversationStoreUnavailableError } from '../../lambdas/core/errors';
import { noMetrics, silentLogger } from '../../lambdas/core/ports';
import { StepLog } from '../../lambdas/core/run/step-log';
import { replayedSubCalls, SUB_CALL_FLUSH_MS, SubCallJournal, UNFINISHED_SUB_CALL } from '../../lambdas/core/run/sub-call-journal';
import type { SubCallRecord, TurnStep } from '../../lambdas/core/types';
import { FileConversationStore } from '../../lambdas/adapters/local-store';

const rec = (tokens: number, error?: string): SubCallRecord => ({
  model: 'm', promptChars: 1, responseChars: 1, promptPreview: 'p', responsePreview: 'r', inputTokens: tokens, outputTokens: 1, durationMs: 1,
  ...(error ? { error } : {}), prompt: 'the whole prompt', response: 'the whole reply',
});

test('replay: ended calls count once, calls started but never ended count as unfinished errors, per attempt', () => {
  const steps: TurnStep[] = [
    { kind: 'cell_started', at: 'x', cell: 1 },
    { kind: 'sub_calls', at: 'x', cell: 1, records: [rec(10)], started: 3 },
    { kind: 'sub_calls', at: 'x', cell: 1, records: [rec(20, 'boom')], started: 3 },
    { kind: 'sub_calls', at: 'x', cell: 2, records: [rec(99)], started: 1 }, // another cell
    // a second attempt (after a cell_not_run): 1 started, none ended
    { kind: 'cell_started', at: 'x', cell: 1 },
    { kind: 'sub_calls', at: 'x', cell: 1, records: [], started: 1 },
  ];
  const s = replayedSubCalls(steps, 1);
  expect(s).toMatchObject({ calls: 4, errors: 3, inputTokens: 30, outputTokens: 2 });
  expect(s.records.map((r) => r.error ?? 'ok')).toEqual(['ok', 'boom', UNFINISHED_SUB_CALL, UNFINISHED_SUB_CALL]);
  expect(replayedSubCalls(steps, 3)).toMatchObject({ calls: 0, records: [] });
});

function depsWith(store: EngineDeps['store'], warnings: string[] = []): EngineDeps {
  return {
    store, sandbox: undefined as never, model: undefined as never, events: { runFinished: async () => {} }, metrics: noMetrics,
    logger: { ...silentLogger, warn: (m) => warnings.push(m) },
    documents: { resolve: async () => [], readText: async () => '', putArtifact: async (k) => `mem://${k}` },
  };
}

test('the journal writes batched steps (previews only), then everything at drain; a replay counts them', async () => {
  const store = new FileConversationStore({ dir: mkdtempSync(path.join(tmpdir(), 'rlm-journal-')) });
  const deps = depsWith(store);
  const log = await StepLog.load(deps, 'r1', 1);
  await log.append({ kind: 'cell_started', at: 'x', cell: 1 });
  const journal = new SubCallJournal(deps, log, 1);
  journal.progress({ inFlight: 2, done: 0, errors: 0 });
  journal.onSubCallDone(rec(5));
  journal.onSubCallDone(rec(6));
  await new Promise((r) => setTimeout(r, SUB_CALL_FLUSH_MS * 4));
  const written = (await store.listSteps('r1', 1)).map((s) => s.step);
  expect(written).toHaveLength(2); // cell_started + one batch
  expect(written[1]).toMatchObject({ kind: 'sub_calls', cell: 1, started: 2, records: [{ inputTokens: 5 }, { inputTokens: 6 }] });
  expect(JSON.stringify(written[1])).not.toContain('the whole prompt');
  journal.progress({ inFlight: 1, done: 2, errors: 0 }); // a third call in flight
  await journal.drain();
  const steps = (await store.listSteps('r1', 1)).map((s) => s.step);
  expect(steps).toHaveLength(3);
  expect(replayedSubCalls(steps, 1)).toMatchObject({ calls: 3, errors: 1, inputTokens: 11 });
  expect(journal.stats()).toMatchObject({ calls: 3, errors: 1 });
});

test('a store failure is logged and the records kept for the next write; an unexpected error surfaces at drain', async () => {
  const store = new FileConversationStore({ dir: mkdtempSync(path.join(tmpdir(), 'rlm-journal-')) });
  let fail: Error | undefined = new ConversationStoreUnavailableError('down');
  const flaky = { ...store, listSteps: store.listSteps.bind(store), putStep: async (s: Parameters<typeof store.putStep>[0]) => { if (fail) throw fail; return store.putStep(s); } };
  const warnings: string[] = [];
  const deps = depsWith(flaky as never, warnings);
  const log = await StepLog.load(deps, 'r2', 1);
  const journal = new SubCallJournal(deps, log, 1);
  journal.onSubCallDone(rec(1));
  await journal.drain(); // the step log retries, then the journal absorbs the store error
  expect(warnings).toEqual(['could not record sub-calls of the cell in flight']);
  fail = undefined;
  journal.onSubCallDone(rec(2));
  await journal.drain();
  expect(replayedSubCalls((await store.listSteps('r2', 1)).map((s) => s.step), 1)).toMatchObject({ calls: 2, inputTokens: 3 });

  const dyingDeps = depsWith({ ...flaky, putStep: async () => { throw new Error('Lambda.Unknown: the invocation died'); } } as never);
  const dying = new SubCallJournal(dyingDeps, await StepLog.load(dyingDeps, 'r3', 1), 1);
  dying.onSubCallDone(rec(1));
  await expect(dying.drain()).rejects.toThrow('the invocation died');
}, 30_000);
