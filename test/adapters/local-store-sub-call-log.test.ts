/**
 * The local store's synchronous sub-call log (lambdas/adapters/local-store/sub-call-log-file.ts): lines
 * appended in order, a line torn by a kill dropped (and one torn line in the middle does not hide the rest),
 * a write failure named as a retryable store error, and the file outside the store's items.
 */
import { appendFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConversationStoreUnavailableError } from '../../lambdas/core/errors';
import type { SubCallEvent } from '../../lambdas/core/types';
import { FileConversationStore } from '../../lambdas/adapters/local-store';
import { readSubCallLog, SubCallLogFile } from '../../lambdas/adapters/local-store/sub-call-log-file';

const event = (started: number): SubCallEvent => ({ kind: 'sub_calls', at: 'x', cell: 1, attempt: 2, records: [], started });

test('events come back in order; a torn last line (a kill mid-write) is dropped; the steps listing ignores the log', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-sublog-'));
  const store = new FileConversationStore({ dir });
  await store.putStep({ runId: 'r1', turn: 1, seq: 1, step: { kind: 'cell_started', at: 'x', cell: 1 } });
  const log = store.openSubCallLog('r1', 1);
  log.append(event(1));
  log.append(event(2));
  log.close();
  log.close(); // idempotent
  const file = path.join(dir, 'r1', 'sub-calls', '00001.jsonl');
  appendFileSync(file, '{"kind":"sub_calls","at":"x","cell":1,"attem');
  expect((await store.listSubCallEvents('r1', 1)).map((e) => e.started)).toEqual([1, 2]);
  // A later writer (a resumed run) appends after the torn fragment: its own line starts a new line and is read.
  const again = store.openSubCallLog('r1', 1);
  again.append(event(3));
  again.close();
  expect(readSubCallLog(file).map((e) => e.started)).toEqual([1, 2, 3]);
  expect((await store.listSteps('r1', 1)).map((s) => s.seq)).toEqual([1]);
  expect(readdirSync(path.dirname(file)).sort()).toEqual(['00001.jsonl']);
  expect(await store.listSubCallEvents('r1', 9)).toEqual([]);
});

test('a log that cannot be written throws a ConversationStoreUnavailableError naming the file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-sublog-'));
  const notADir = path.join(dir, 'steps');
  writeFileSync(notADir, 'a file where the folder should be');
  const log = new SubCallLogFile(path.join(notADir, 'sub-calls.jsonl'));
  expect(() => log.append(event(1))).toThrow(ConversationStoreUnavailableError);
  expect(() => log.append(event(1))).toThrow(/sub-calls\.jsonl: .*ENOTDIR/);
});
