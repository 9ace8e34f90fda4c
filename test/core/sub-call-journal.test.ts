/**
 * The sub-call journal (core/run/sub-call-journal.ts): what an interrupted cell counts from its recorded
 * `sub_calls` steps (ended calls, and calls in flight as unfinished errors, per attempt), and the journal's
 * writes (batched, before the cell's result; a store failure absorbed, anything else surfaced), against
 * the real on-disk store.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
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

/** The on-disk store without its synchronous sub-call log: what core sees of a store like DynamoDB. */
function stepsOnly(store: FileConversationStore): EngineDeps['store'] {
  return { ...store, listSteps: store.listSteps.bind(store), putStep: store.putStep.bind(store) } as never;
}

test('the journal writes batched steps (previews only), then everything at drain; a replay counts them', async () => {
  const store = new FileConversationStore({ dir: mkdtempSync(path.join(tmpdir(), 'rlm-journal-')) });
  const deps = depsWith(stepsOnly(store));
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
  const flaky = { listSteps: store.listSteps.bind(store), putStep: async (s: Parameters<typeof store.putStep>[0]) => { if (fail) throw fail; return store.putStep(s); } };
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

  const dyingDeps = depsWith({ listSteps: flaky.listSteps, putStep: async () => { throw new Error('Lambda.Unknown: the invocation died'); } } as never);
  const dying = new SubCallJournal(dyingDeps, await StepLog.load(dyingDeps, 'r3', 1), 1);
  dying.onSubCallDone(rec(1));
  await expect(dying.drain()).rejects.toThrow('the invocation died');
}, 30_000);

test('replay: a record on record twice (the sub-call log, then a step, numbered by `first`) counts once', () => {
  const steps: TurnStep[] = [
    { kind: 'cell_started', at: 'x', cell: 1 },
    { kind: 'sub_calls', at: 'x', cell: 1, records: [rec(1)], started: 1, first: 1 },
    { kind: 'sub_calls', at: 'x', cell: 1, records: [rec(1), rec(2)], started: 3, first: 1 }, // 1 again, then 2
    // a second attempt numbers its calls from 1 again: not duplicates of the first attempt's
    { kind: 'cell_started', at: 'x', cell: 1 },
    { kind: 'sub_calls', at: 'x', cell: 1, records: [rec(4)], started: 1, first: 1 },
  ];
  expect(replayedSubCalls(steps, 1)).toMatchObject({ calls: 4, inputTokens: 7, errors: 1 }); // 1, 2, 1 unfinished, 4
});

describe('with the store\'s synchronous sub-call log (the local store)', () => {
  test('each start is on disk when the listener returns, with the records of the calls that ended before it; a replay without drain (a kill) counts them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rlm-journal-'));
    const store = new FileConversationStore({ dir });
    const deps = depsWith(store);
    const log = await StepLog.load(deps, 'r4', 1);
    await log.append({ kind: 'cell_started', at: 'x', cell: 1 });
    const journal = new SubCallJournal(deps, log, 1);
    const file = path.join(dir, 'r4', 'sub-calls', '00001.jsonl');
    const lines = () => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    journal.progress({ inFlight: 1, done: 0, errors: 0 });
    expect(lines()).toMatchObject([{ started: 1, records: [] }]); // synchronously: before the request leaves
    journal.onSubCallDone(rec(5)); // held: the code cannot act on it outside the sandbox before the next start or the cell's end
    journal.progress({ inFlight: 0, done: 1, errors: 0 }); // nothing new started: no line
    expect(lines()).toHaveLength(1);
    journal.progress({ inFlight: 2, done: 1, errors: 0 }); // two more start: one line, with the record of the first
    expect(lines()).toMatchObject([{ started: 1 }, { started: 3, first: 1, records: [{ inputTokens: 5 }] }]);
    expect(readFileSync(file, 'utf8')).not.toContain('the whole prompt');
    // No drain: the invocation died here. A fresh process reads the turn back.
    const replay = await StepLog.load(depsWith(new FileConversationStore({ dir })), 'r4', 1);
    expect(replay.subCallsOf(1)).toMatchObject({ calls: 3, errors: 2, inputTokens: 5 });
    expect((await store.listSteps('r4', 1)).map((s) => s.step.kind)).toEqual(['cell_started']);
    journal.onSubCallDone(rec(7));
    await journal.drain(); // the held record: one more line, no sub_calls step
    expect(lines()).toHaveLength(3);
    expect((await store.listSteps('r4', 1)).map((s) => s.step.kind)).toEqual(['cell_started']);
    const after = await StepLog.load(depsWith(new FileConversationStore({ dir })), 'r4', 1);
    expect(after.subCallsOf(1)).toMatchObject({ calls: 3, errors: 1, inputTokens: 12 });
  });

  test('a log that fails hands its events to the step log, and a record both logged and stepped counts once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rlm-journal-'));
    const store = new FileConversationStore({ dir });
    let appends = 0;
    const warnings: string[] = [];
    const dropping = {
      listSteps: store.listSteps.bind(store), putStep: store.putStep.bind(store), listSubCallEvents: store.listSubCallEvents.bind(store),
      openSubCallLog: (runId: string, turn: number) => {
        const inner = store.openSubCallLog(runId, turn);
        // The second append lands, then reports failure (a dropped reply): the journal falls back.
        return { close: () => inner.close(), append: (e: never) => { inner.append(e); if (++appends === 2) throw new ConversationStoreUnavailableError('lost the reply'); } };
      },
    };
    const deps = depsWith(dropping as never, warnings);
    const log = await StepLog.load(deps, 'r5', 1);
    await log.append({ kind: 'cell_started', at: 'x', cell: 1 });
    const journal = new SubCallJournal(deps, log, 1);
    journal.progress({ inFlight: 1, done: 0, errors: 0 }); // line 1
    journal.onSubCallDone(rec(1));
    journal.progress({ inFlight: 1, done: 1, errors: 0 }); // line 2 (record 1): lands, reported failed: record 1 goes to the steps too
    journal.onSubCallDone(rec(2)); // steps only
    expect(appends).toBe(2);
    await journal.drain();
    expect(warnings).toEqual(['could not append to the sub-call log; recording sub-calls as steps']);
    const steps = (await store.listSteps('r5', 1)).map((s) => s.step);
    expect(steps.map((s) => s.kind)).toEqual(['cell_started', 'sub_calls']);
    expect(steps[1]).toMatchObject({ first: 1, started: 2, records: [{ inputTokens: 1 }, { inputTokens: 2 }] });
    const replay = await StepLog.load(depsWith(new FileConversationStore({ dir })), 'r5', 1);
    expect(replay.subCallsOf(1)).toMatchObject({ calls: 2, inputTokens: 3, errors: 0 });
  });

  test('an unexpected error of the log (the invocation going down) stops the journal and surfaces at drain', async () => {
    const store = new FileConversationStore({ dir: mkdtempSync(path.join(tmpdir(), 'rlm-journal-')) });
    let appends = 0;
    const dying = {
      listSteps: store.listSteps.bind(store), putStep: store.putStep.bind(store),
      openSubCallLog: () => ({ close: () => undefined, append: () => { appends++; throw new Error('Lambda.Unknown: killed'); } }),
    };
    const deps = depsWith(dying as never);
    const log = await StepLog.load(deps, 'r6', 1);
    const journal = new SubCallJournal(deps, log, 1);
    journal.progress({ inFlight: 1, done: 0, errors: 0 });
    journal.onSubCallDone(rec(1));
    journal.progress({ inFlight: 1, done: 1, errors: 0 });
    expect(appends).toBe(1);
    await expect(journal.drain()).rejects.toThrow('killed');
    expect(await store.listSteps('r6', 1)).toEqual([]);
  });
});
