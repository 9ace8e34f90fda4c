/**
 * The ConversationStore contract, run against both adapters: DynamoDB (on dynalite, real SDK) and the local
 * on-disk store. Same conditional semantics: no write duplicates or overwrites an item; steps append once;
 * a run is advanced, finished and reopened only from the states the port names.
 */
import { appendFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { zeroTotals } from '../../lambdas/core/accounting';
import { resolveRunConfig } from '../../lambdas/core/config';
import { RunNotFoundError, RunStateConflictError, StepAlreadyRecordedError, TurnAlreadyRecordedError } from '../../lambdas/core/errors';
import type { ConversationStore } from '../../lambdas/core/ports';
import type { RunRecord, TurnRecord } from '../../lambdas/core/types';
import { DynamoConversationStore } from '../../lambdas/adapters/dynamodb';
import { createConversationTable, startDynalite, type EmbeddedDynalite } from '../../lambdas/adapters/dynamodb/embedded-dynalite';
import { FileConversationStore } from '../../lambdas/adapters/local-store';

let dyn: EmbeddedDynalite;
const fileDir = mkdtempSync(path.join(tmpdir(), 'rlm-store-'));
const stores: Record<string, () => ConversationStore> = {
  dynamodb: () => new DynamoConversationStore({ client: dyn.client, tableName: 'contract' }),
  file: () => new FileConversationStore({ dir: fileDir }),
};
beforeAll(async () => {
  dyn = await startDynalite();
  await createConversationTable(dyn.client, 'contract');
});
afterAll(() => dyn.close());

let seq = 0;
const newRun = (): RunRecord => ({
  runId: `r-${++seq}-${Math.random().toString(36).slice(2, 7)}`, status: 'running', question: 'q', documents: [], config: resolveRunConfig({}),
  iterations: 0, totals: zeroTotals(), createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z',
});
const turn = (runId: string, index: number): TurnRecord => ({
  runId, index, kind: 'code', startedAt: 'a', endedAt: 'b', replyText: `reply ${index}`, cells: [], rootUsage: { inputTokens: 1, outputTokens: 1 }, rootModelId: 'm', rootLatencyMs: 1,
});
const progress = (iterations: number) => ({ iterations, totals: zeroTotals(), updatedAt: 'now' });

describe.each(Object.keys(stores))('%s store', (kind) => {
  let store: ConversationStore;
  beforeAll(() => { store = stores[kind](); });

  test('createRun once; getRun of an absent run is RunNotFoundError', async () => {
    const run = newRun();
    await store.createRun(run);
    await expect(store.createRun({ ...run, question: 'other' })).rejects.toBeInstanceOf(RunStateConflictError);
    expect((await store.getRun(run.runId)).question).toBe('q');
    await expect(store.getRun('absent-run')).rejects.toBeInstanceOf(RunNotFoundError);
  });

  test('putTurn never overwrites; advanceRun only from the expected iteration while running', async () => {
    const run = newRun();
    await store.createRun(run);
    await store.putTurn(turn(run.runId, 1));
    await expect(store.putTurn({ ...turn(run.runId, 1), replyText: 'second attempt' })).rejects.toBeInstanceOf(TurnAlreadyRecordedError);
    expect((await store.listTurns(run.runId)).map((t) => t.replyText)).toEqual(['reply 1']);
    await store.advanceRun(run.runId, 0, progress(1));
    await expect(store.advanceRun(run.runId, 0, progress(1))).rejects.toBeInstanceOf(RunStateConflictError);
    expect((await store.getRun(run.runId)).iterations).toBe(1);
  });

  test('steps append once per sequence number and list in order, per turn', async () => {
    const run = newRun();
    await store.createRun(run);
    for (const s of [2, 1, 3]) await store.putStep({ runId: run.runId, turn: 1, seq: s, step: { kind: 'cell_started', at: 'x', cell: s } });
    await store.putStep({ runId: run.runId, turn: 2, seq: 1, step: { kind: 'cell_started', at: 'x', cell: 9 } });
    await expect(store.putStep({ runId: run.runId, turn: 1, seq: 2, step: { kind: 'cell_started', at: 'y', cell: 7 } })).rejects.toBeInstanceOf(StepAlreadyRecordedError);
    expect((await store.listSteps(run.runId, 1)).map((s) => [s.seq, (s.step as { cell: number }).cell])).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect((await store.listSteps(run.runId, 2)).map((s) => s.seq)).toEqual([1]);
    expect(await store.listSteps(run.runId, 3)).toEqual([]);
    expect(await store.listTurns(run.runId)).toEqual([]); // steps are not turns
  });

  test('finishRun only while running; reopenRun only a run that ended without success', async () => {
    const run = newRun();
    await store.createRun(run);
    await expect(store.reopenRun(run.runId, 't')).rejects.toBeInstanceOf(RunStateConflictError); // running
    await store.finishRun(run.runId, { status: 'failed', stopReason: 'error', stopDetail: 'boom', error: { name: 'E', message: 'boom' }, updatedAt: 't' });
    await expect(store.finishRun(run.runId, { status: 'succeeded', stopReason: 'final', updatedAt: 't' })).rejects.toBeInstanceOf(RunStateConflictError);
    await store.reopenRun(run.runId, 't2');
    const reopened = await store.getRun(run.runId);
    expect(reopened).toMatchObject({ status: 'running', updatedAt: 't2' });
    expect(reopened.error).toBeUndefined();
    expect(reopened.stopReason).toBeUndefined();
    await store.finishRun(run.runId, { status: 'succeeded', stopReason: 'final', answer: 'a', updatedAt: 't3' });
    await expect(store.reopenRun(run.runId, 't4')).rejects.toBeInstanceOf(RunStateConflictError); // succeeded
    await expect(store.reopenRun('absent-run', 't')).rejects.toBeInstanceOf(RunNotFoundError);
  });

  test('concurrent conditional updates: exactly one advance from the same iteration wins', async () => {
    const run = newRun();
    await store.createRun(run);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.advanceRun(run.runId, 0, progress(1))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await store.getRun(run.runId)).iterations).toBe(1);
  });
});

test('the file store: a half-written entry left by a killed process is never read as an item', async () => {
  const store = new FileConversationStore({ dir: fileDir });
  const run = newRun();
  await store.createRun(run);
  await store.putTurn(turn(run.runId, 1));
  const journal = path.join(store.runDir(run.runId), 'items.jsonl');
  appendFileSync(journal, '\n{"k":"turn","w":"123.1","item":{"runId": "half'); // a crash mid-write
  expect((await store.listTurns(run.runId)).map((t) => t.index)).toEqual([1]);
  await store.putTurn(turn(run.runId, 2));
  expect((await store.listTurns(run.runId)).map((t) => t.index)).toEqual([1, 2]);
  expect((await new FileConversationStore({ dir: fileDir }).listTurns(run.runId)).map((t) => t.index)).toEqual([1, 2]);
  expect(readdirSync(store.runDir(run.runId))).toEqual(['items.jsonl']);
  expect(() => store.runDir('..')).toThrow(/runId/);
});
