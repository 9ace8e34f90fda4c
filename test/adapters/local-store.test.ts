/**
 * The on-disk store beyond the shared contract (store-contract.test.ts): what it serves from memory stays
 * what is on disk when another store instance (another process: `rlm view`, a resume) writes the same
 * directory; the run item's versions are a compare-and-swap; a leftover of a kill is harmless; runs
 * recorded with the layout before versions (`run.json`) are read, updated and resumed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { zeroTotals } from '../../lambdas/core/accounting';
import { resolveRunConfig } from '../../lambdas/core/config';
import { RunStateConflictError } from '../../lambdas/core/errors';
import type { RunRecord, TurnRecord } from '../../lambdas/core/types';
import { FileConversationStore } from '../../lambdas/adapters/local-store';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-local-store-'));
let seq = 0;
const newRun = (): RunRecord => ({
  runId: `ls-${++seq}`, status: 'running', question: 'q', documents: [], config: resolveRunConfig({}),
  iterations: 0, totals: zeroTotals(), createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z',
});
const turn = (runId: string, index: number): TurnRecord => ({
  runId, index, kind: 'code', startedAt: 'a', endedAt: 'b', replyText: `reply ${index}`, cells: [], rootUsage: { inputTokens: 1, outputTokens: 1 }, rootModelId: 'm', rootLatencyMs: 1,
});
const progress = (iterations: number) => ({ iterations, totals: zeroTotals(), updatedAt: `t${iterations}` });

test('two instances on one directory: each sees the other\'s writes, and a stale update is a conflict', async () => {
  const a = new FileConversationStore({ dir });
  const b = new FileConversationStore({ dir });
  const run = newRun();
  await a.createRun(run);
  await a.putTurn(turn(run.runId, 1));
  expect((await b.listTurns(run.runId)).map((t) => t.replyText)).toEqual(['reply 1']);
  await b.putTurn(turn(run.runId, 2));
  expect((await a.listTurns(run.runId)).map((t) => t.index)).toEqual([1, 2]); // a's cache found b's turn

  expect((await a.getRun(run.runId)).iterations).toBe(0); // a has version 1 cached
  await b.advanceRun(run.runId, 0, progress(1));
  expect((await a.getRun(run.runId)).iterations).toBe(1); // the new version is read, not the cached one
  await a.advanceRun(run.runId, 1, progress(2));
  await expect(b.advanceRun(run.runId, 1, progress(2))).rejects.toBeInstanceOf(RunStateConflictError);
  expect((await b.getRun(run.runId)).iterations).toBe(2);
  // one version file is left: each update removes the one before
  expect(readdirSync(path.join(a.runDir(run.runId), 'run'))).toEqual(['00000003.json']);
  // creating the run again fails though version 1 is gone (a retried StartRun must find the run, not replace it)
  await expect(b.createRun(run)).rejects.toBeInstanceOf(RunStateConflictError);
  expect(readdirSync(path.join(a.runDir(run.runId), 'run'))).toEqual(['00000003.json']);
});

test('what callers get back is a copy: changing it changes neither the cache nor the next read', async () => {
  const store = new FileConversationStore({ dir });
  const run = newRun();
  await store.createRun(run);
  await store.putTurn(turn(run.runId, 1));
  const got = await store.getRun(run.runId);
  got.iterations = 99;
  const [t] = await store.listTurns(run.runId);
  t.replyText = 'changed';
  expect((await store.getRun(run.runId)).iterations).toBe(0);
  expect((await store.listTurns(run.runId))[0].replyText).toBe('reply 1');
});

test('a version left behind by a kill between link and removal: the highest one is the run item', async () => {
  const store = new FileConversationStore({ dir });
  const run = newRun();
  await store.createRun(run);
  await store.advanceRun(run.runId, 0, progress(1));
  // as if killed after linking version 3 and before removing version 2
  const versions = path.join(store.runDir(run.runId), 'run');
  writeFileSync(path.join(versions, '00000003.json'), JSON.stringify({ ...run, iterations: 2 }));
  writeFileSync(path.join(versions, '00000004.json.1.1.tmp'), '{"half'); // and a torn temporary file
  const fresh = new FileConversationStore({ dir });
  expect((await fresh.getRun(run.runId)).iterations).toBe(2);
  await fresh.advanceRun(run.runId, 2, progress(3));
  expect((await new FileConversationStore({ dir }).getRun(run.runId)).iterations).toBe(3);
});

test('a run recorded as run.json (the layout before versions) is read, updated, resumed and cannot be created again', async () => {
  const store = new FileConversationStore({ dir });
  const run = { ...newRun(), status: 'failed' as const, stopReason: 'error' as const };
  mkdirSync(store.runDir(run.runId), { recursive: true });
  writeFileSync(path.join(store.runDir(run.runId), 'run.json'), JSON.stringify(run));
  expect(await store.getRun(run.runId)).toMatchObject({ status: 'failed' });
  expect(await store.listRunIds()).toContain(run.runId);
  await expect(store.createRun({ ...run, status: 'running' })).rejects.toBeInstanceOf(RunStateConflictError);
  await store.reopenRun(run.runId, 'later');
  expect(await new FileConversationStore({ dir }).getRun(run.runId)).toMatchObject({ status: 'running', updatedAt: 'later' });
  expect(existsSync(path.join(store.runDir(run.runId), 'run.json'))).toBe(false);
  expect(readdirSync(path.join(store.runDir(run.runId), 'run'))).toEqual(['00000001.json']);
});

test('the state directory removed while a store is open: the next write creates it again', async () => {
  const own = mkdtempSync(path.join(tmpdir(), 'rlm-local-store-gone-'));
  const store = new FileConversationStore({ dir: own });
  const run = newRun();
  await store.createRun(run);
  await store.putTurn(turn(run.runId, 1));
  rmSync(own, { recursive: true, force: true });
  await store.putTurn(turn(run.runId, 2)); // into a directory this store had created: made again
  expect(readdirSync(path.join(store.runDir(run.runId), 'turns'))).toEqual(['00002.json']);
  const again = newRun();
  await store.createRun(again);
  await store.putTurn(turn(again.runId, 1));
  expect((await new FileConversationStore({ dir: own }).listTurns(again.runId)).map((t) => t.index)).toEqual([1]);
});
