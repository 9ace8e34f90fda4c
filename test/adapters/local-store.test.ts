/**
 * The on-disk store beyond the shared contract (store-contract.test.ts): what it serves from memory stays
 * what is on disk when another store instance (another process: `rlm view`, a resume) writes the same
 * directory; the run item's versions are a compare-and-swap; each run is one append-only journal and a
 * write cut short by a kill is harmless; runs recorded with a file per item (and the older `run.json`) are
 * read, updated and resumed.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { zeroTotals } from '../../lambdas/core/accounting';
import { resolveRunConfig } from '../../lambdas/core/config';
import { RunStateConflictError, StepAlreadyRecordedError, TurnAlreadyRecordedError } from '../../lambdas/core/errors';
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
  // creating the run again fails (a retried StartRun must find the run, not replace it)
  await expect(b.createRun(run)).rejects.toBeInstanceOf(RunStateConflictError);
  // one file per run, whatever was written: no inode per item
  expect(readdirSync(a.runDir(run.runId))).toEqual(['items.jsonl']);
  expect((await new FileConversationStore({ dir }).getRun(run.runId)).iterations).toBe(2);
});

test('the journal decides races by order: a second entry of the same key is ignored and its writer told so', async () => {
  const a = new FileConversationStore({ dir });
  const run = newRun();
  await a.createRun(run);
  await a.putTurn(turn(run.runId, 1));
  const file = path.join(a.runDir(run.runId), 'items.jsonl');
  // another process appended turn 2 and run version 2 between a's read and a's write (a's cache is stale)
  const other = new FileConversationStore({ dir });
  await other.putTurn({ ...turn(run.runId, 2), replyText: 'theirs' });
  await other.advanceRun(run.runId, 0, progress(1));
  await expect(a.putTurn({ ...turn(run.runId, 2), replyText: 'mine' })).rejects.toBeInstanceOf(TurnAlreadyRecordedError);
  await expect(a.advanceRun(run.runId, 0, progress(1))).rejects.toBeInstanceOf(RunStateConflictError);
  // a duplicate entry that did land in the file (a writer that lost) is not the item
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes('"k":"turn"') && l.includes('theirs'))!;
  appendFileSync(file, `\n${line.replace('theirs', 'late duplicate')}\n`);
  expect((await new FileConversationStore({ dir }).listTurns(run.runId)).map((t) => t.replyText)).toEqual(['reply 1', 'theirs']);
  expect((await a.listTurns(run.runId)).map((t) => t.replyText)).toEqual(['reply 1', 'theirs']);
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

test('a write cut short by a kill (a prefix of one line) is skipped, and the next write lands whole', async () => {
  const store = new FileConversationStore({ dir });
  const run = newRun();
  await store.createRun(run);
  await store.advanceRun(run.runId, 0, progress(1));
  const file = path.join(store.runDir(run.runId), 'items.jsonl');
  const full = `\n${JSON.stringify({ k: 'turn', w: 'killed.1', item: turn(run.runId, 1) })}\n`;
  appendFileSync(file, full.slice(0, Math.floor(full.length / 2))); // as if SIGKILLed in the middle of the write
  const fresh = new FileConversationStore({ dir });
  expect(await fresh.listTurns(run.runId)).toEqual([]); // the fragment is no turn (and no error)
  await fresh.putTurn(turn(run.runId, 1));
  await fresh.advanceRun(run.runId, 1, progress(2));
  const again = new FileConversationStore({ dir });
  expect((await again.listTurns(run.runId)).map((t) => t.index)).toEqual([1]);
  expect((await again.getRun(run.runId)).iterations).toBe(2);
  expect((await store.listTurns(run.runId)).map((t) => t.index)).toEqual([1]); // the first store reads past the fragment too
});

test('a run recorded with a file per item (the layout before the journal) is read, then imported by its first write', async () => {
  const store = new FileConversationStore({ dir });
  const run = { ...newRun(), status: 'failed' as const, stopReason: 'error' as const, iterations: 1 };
  const runDir = store.runDir(run.runId);
  mkdirSync(path.join(runDir, 'run'), { recursive: true });
  mkdirSync(path.join(runDir, 'turns'));
  mkdirSync(path.join(runDir, 'steps', '00002'), { recursive: true });
  writeFileSync(path.join(runDir, 'run', '00000002.json'), JSON.stringify({ ...run, status: 'running' }));
  writeFileSync(path.join(runDir, 'run', '00000003.json'), JSON.stringify(run)); // the highest version is the item
  writeFileSync(path.join(runDir, 'turns', '00001.json'), JSON.stringify(turn(run.runId, 1)));
  const step = { runId: run.runId, turn: 2, seq: 1, step: { kind: 'cell_started', at: 'x', cell: 1 } };
  writeFileSync(path.join(runDir, 'steps', '00002', '0001.json'), JSON.stringify(step));
  writeFileSync(path.join(runDir, 'steps', '00002', '0002.json.1.1.tmp'), '{"half'); // a temporary file of a kill
  expect(await store.getRun(run.runId)).toMatchObject({ status: 'failed', iterations: 1 });
  expect(await store.listRunIds()).toContain(run.runId);
  expect(await store.listSteps(run.runId, 2)).toEqual([step]);
  expect(readdirSync(runDir)).not.toContain('items.jsonl'); // reading writes nothing
  await expect(store.createRun({ ...run, status: 'running' })).rejects.toBeInstanceOf(RunStateConflictError);
  await store.reopenRun(run.runId, 'later');
  expect(readdirSync(runDir)).toContain('items.jsonl');
  const fresh = new FileConversationStore({ dir });
  expect(await fresh.getRun(run.runId)).toMatchObject({ status: 'running', updatedAt: 'later', iterations: 1 });
  expect((await fresh.listTurns(run.runId)).map((t) => t.index)).toEqual([1]);
  expect(await fresh.listSteps(run.runId, 2)).toEqual([step]);
  await expect(fresh.putStep(step as never)).rejects.toBeInstanceOf(StepAlreadyRecordedError);
});

test('a run recorded as run.json (the layout before run item versions) is read, updated, resumed and cannot be created again', async () => {
  const store = new FileConversationStore({ dir });
  const run = { ...newRun(), status: 'failed' as const, stopReason: 'error' as const };
  mkdirSync(store.runDir(run.runId), { recursive: true });
  writeFileSync(path.join(store.runDir(run.runId), 'run.json'), JSON.stringify(run));
  expect(await store.getRun(run.runId)).toMatchObject({ status: 'failed' });
  expect(await store.listRunIds()).toContain(run.runId);
  await expect(store.createRun({ ...run, status: 'running' })).rejects.toBeInstanceOf(RunStateConflictError);
  await store.reopenRun(run.runId, 'later');
  expect(await new FileConversationStore({ dir }).getRun(run.runId)).toMatchObject({ status: 'running', updatedAt: 'later' });
});

test('the state directory removed while a store is open: the next write creates it again', async () => {
  const own = mkdtempSync(path.join(tmpdir(), 'rlm-local-store-gone-'));
  const store = new FileConversationStore({ dir: own });
  const run = newRun();
  await store.createRun(run);
  await store.putTurn(turn(run.runId, 1));
  rmSync(own, { recursive: true, force: true });
  await store.putTurn(turn(run.runId, 2)); // into a directory this store had created: made again
  expect(readdirSync(store.runDir(run.runId))).toEqual(['items.jsonl']);
  expect((await new FileConversationStore({ dir: own }).listTurns(run.runId)).map((t) => t.index)).toEqual([2]);
  const again = newRun();
  await store.createRun(again);
  await store.putTurn(turn(again.runId, 1));
  expect((await new FileConversationStore({ dir: own }).listTurns(again.runId)).map((t) => t.index)).toEqual([1]);
});

test('a new sandbox session is recorded only on a running run (an ended run keeps the one it had)', async () => {
  const store = new FileConversationStore({ dir });
  const run = newRun();
  await store.createRun(run);
  await store.setSandboxSession(run.runId, 's-1');
  await store.finishRun(run.runId, { status: 'cancelled', stopReason: 'cancelled', updatedAt: 'z' });
  const err = await store.setSandboxSession(run.runId, 's-late').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RunStateConflictError);
  expect(String(err)).toContain('it is cancelled (the run has ended)');
  expect((await store.getRun(run.runId)).sandboxSessionId).toBe('s-1');
});
