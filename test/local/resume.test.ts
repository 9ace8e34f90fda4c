/**
 * `LocalEngine.resume` in-process: a run that failed at turn 2 (a non-retryable model error) is resumed with
 * a working model: recorded turns are kept, not redone, the sandbox starts fresh (the model is told) and the
 * run finishes with turns 1..n. A succeeded run resumes to the same summary without running anything.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScriptedModel, type Script } from '../../lambdas/adapters/models';
import { ModelInvocationError } from '../../lambdas/core/errors';
import { LocalEngine } from '../../bin/local/local-engine';
import { toFileUri } from '../../lambdas/adapters/documents';
import { CountingModel, LedgerSandbox } from './fault-kit';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-resume-'));
const doc = path.join(dir, 'doc.txt');
writeFileSync(doc, 'hello');
const SCRIPT: Script = { root: [{ code: ['a = 1', 'sub 2'] }, { code: 'a += 10' }, { code: 'FINAL' }], sub: { default: 'ok' } };

test('a failed run resumes from its last recorded turn in a fresh session and finishes', async () => {
  const stateDir = path.join(dir, 'state');
  const base = new ScriptedModel(SCRIPT, { source: 'resume' });
  const sandbox = new LedgerSandbox(base);
  const failing = new CountingModel(base, { nth: 2, error: () => new ModelInvocationError('access denied') });
  const opts = { sandbox, stateDir, runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' }, retryDelayOverrideMs: 0 };
  const first = await LocalEngine.start({ ...opts, model: failing });
  const failed = await first.run({ question: 'q', documents: [toFileUri(doc)] });
  await first.close();
  expect(failed).toMatchObject({ status: 'failed', iterations: 1 });
  expect(failed.error?.name).toBe('ModelInvocationError');
  expect(sandbox.open.size).toBe(0);

  const working = new CountingModel(base);
  const second = await LocalEngine.start({ ...opts, model: working });
  const resumed = await second.resume(failed.runId);
  const turns = await second.deps.store.listTurns(failed.runId);
  await second.close();
  expect(resumed).toMatchObject({ runId: failed.runId, status: 'succeeded', iterations: 3, answer: 'a=10' }); // `a = 1` was lost with the session
  expect(resumed.usage.subCalls).toBe(2);
  expect(working.rootReplies).toBe(2); // turns 2 and 3 only
  expect(turns.map((t) => t.index)).toEqual([1, 2, 3]);
  expect(turns[1].cells[0].modelOutput).toMatch(/sandbox session was lost and a new one was started/);
  expect(sandbox.executions).toEqual(['a = 1', 'sub 2', 'a += 10', 'FINAL']);
  expect(sandbox.open.size).toBe(0);

  const third = await LocalEngine.start({ ...opts, model: new CountingModel(base) });
  const again = await third.resume(failed.runId);
  await third.close();
  expect(again).toMatchObject({ status: 'succeeded', answer: 'a=10', iterations: 3 });
  expect(sandbox.executions).toHaveLength(4);
});
