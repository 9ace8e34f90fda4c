/**
 * Recovering an interrupted cell (core/cell-recovery.ts through runCells): a cell whose invocation died
 * (`cell_started` and nothing after) is read back from the session's cell journal before the turn goes on:
 * finished there = recorded with its own result and sub-calls, never started = run now, still running =
 * interrupted with the sandbox's sub-call tally; no journal or a lost session = interrupted as before.
 * Against the real on-disk store and step log.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RECOVERED_NOTICE } from '../../lambdas/core/cell-recovery';
import { INTERRUPTED_MESSAGE, runCells } from '../../lambdas/core/cell-runner';
import { DEFAULT_RUN_CONFIG } from '../../lambdas/core/config';
import { zeroTotals } from '../../lambdas/core/accounting';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { SandboxSessionLostError } from '../../lambdas/core/errors';
import { noMetrics, silentLogger, type CellExecOptions, type RecoveredCell, type SandboxSession } from '../../lambdas/core/ports';
import { StepLog } from '../../lambdas/core/run/step-log';
import type { CellResult, RunRecord, SubCallRecord } from '../../lambdas/core/types';
import { FileConversationStore } from '../../lambdas/adapters/local-store';

const rec = (tokens: number): SubCallRecord => ({ model: 'm', promptChars: 1, responseChars: 1, promptPreview: 'p', responsePreview: 'r', inputTokens: tokens, outputTokens: 1, durationMs: 1 });
const sub = (n: number) => ({ calls: n, errors: 0, inputTokens: 10 * n, outputTokens: n, records: Array.from({ length: n }, () => rec(10)) });
const ok = (stdout: string, extra: Partial<CellResult> = {}): CellResult => ({ stdout, stderr: '', timedOut: false, raised: false, durationMs: 5, sub: sub(0), ...extra });

/** A session that records what it ran, and the journal answer of its sandbox (`no-journal`: no recoverCell at all). */
function fakeSession(journal: RecoveredCell | 'no-journal' | undefined, sessionId = 's-1') {
  const ran: Array<{ code: string; options: CellExecOptions }> = [];
  const asked: Array<{ sessionId: string; key: string; waitMs: number }> = [];
  const session: SandboxSession = {
    sessionId,
    execute: async (code, options) => { ran.push({ code, options }); return ok(`ran ${code}\n`); },
    close: async () => undefined,
  };
  const recoverCell = journal === 'no-journal' ? undefined
    : async (id: string, key: string, o: { waitMs: number }) => { asked.push({ sessionId: id, key, waitMs: o.waitMs }); return journal; };
  return { session, ran, asked, recoverCell };
}

async function interruptedTurn(f: ReturnType<typeof fakeSession>, lost = false, fresh?: SandboxSession) {
  const session = f.session;
  const store = new FileConversationStore({ dir: mkdtempSync(path.join(tmpdir(), 'rlm-recovery-')) });
  const deps: EngineDeps = {
    store, model: undefined as never, events: { runFinished: async () => {} }, metrics: noMetrics, logger: silentLogger,
    documents: { resolve: async () => [], readText: async () => '', putArtifact: async (k) => `mem://${k}` },
    sandbox: {
      description: 'fake',
      start: async () => {
        if (!fresh) throw new Error('no new session expected');
        return { session: fresh, loaded: { documents: [], totalChars: 0, preview: '' } };
      },
      resume: async () => { if (lost) throw new SandboxSessionLostError('gone'); return session; },
      stop: async () => undefined,
      ...(f.recoverCell ? { recoverCell: f.recoverCell } : {}),
    },
  };
  const run: RunRecord = {
    runId: 'r1', status: 'running', question: 'q', documents: [], config: { ...DEFAULT_RUN_CONFIG }, sandboxSessionId: 's-1',
    iterations: 3, totals: zeroTotals(), createdAt: 'x', updatedAt: 'x',
  };
  await store.createRun(run);
  // The dead attempt of turn 4 recorded the reply and that cell 1 started; its invocation ended there.
  await (await StepLog.load(deps, 'r1', 4)).append({ kind: 'cell_started', at: 'x', cell: 1 });
  const log = await StepLog.load(deps, 'r1', 4);
  const cells = await runCells(deps, { run, iteration: 4, log }, [{ code: 'a = llm_query_batched(p)' }, { code: 'print(a)' }]);
  const steps = (await store.listSteps('r1', 4)).map((s) => s.step.kind);
  return { cells, steps };
}

test('a cell that finished in the sandbox is recorded with its own result, sub-calls and FINAL, and not run again', async () => {
  const journal: RecoveredCell = { state: 'done', result: ok('3 summaries\n', { sub: sub(3), final: { value: '42', variable: 'a' } }) };
  const f = fakeSession(journal);
  const { cells, steps } = await interruptedTurn(f);
  expect(f.asked).toEqual([{ sessionId: 's-1', key: 't4c1', waitMs: DEFAULT_RUN_CONFIG.cellTimeoutMs }]);
  expect(cells[0].fullOutput).toContain('3 summaries');
  expect(cells[0].fullOutput).toContain(RECOVERED_NOTICE);
  expect(cells[0].result).toMatchObject({ raised: false, final: { value: '42' }, sub: { calls: 3, inputTokens: 30 } });
  // FINAL stops the turn: cell 2 is not executed, and nothing ran in the sandbox.
  expect(cells[1].fullOutput).toMatch(/^Not executed: an earlier block in this reply already called FINAL/);
  expect(f.ran).toEqual([]);
  expect(steps).toEqual(['cell_started', 'cell_done', 'cell_done']);
});

test('a cell that never reached the sandbox is run now, with its journal key', async () => {
  const f = fakeSession({ state: 'absent' });
  const { cells, steps } = await interruptedTurn(f);
  expect(f.ran.map((r) => [r.code, r.options.journalKey])).toEqual([['a = llm_query_batched(p)', 't4c1'], ['print(a)', 't4c2']]);
  expect(cells.map((c) => c.fullOutput)).toEqual(['ran a = llm_query_batched(p)', 'ran print(a)']);
  expect(steps).toEqual(['cell_started', 'cell_started', 'cell_done', 'cell_started', 'cell_done']);
});

test('a cell still running after the wait is interrupted and counts the sub-calls the sandbox made so far', async () => {
  const f = fakeSession({ state: 'running', sub: sub(2) });
  const { cells } = await interruptedTurn(f);
  expect(cells[0].fullOutput).toBe(INTERRUPTED_MESSAGE);
  expect(cells[0].result).toMatchObject({ raised: true, sub: { calls: 2, inputTokens: 20 } });
  expect(f.ran.map((r) => r.code)).toEqual(['print(a)']); // the turn goes on
});

test('without a journal, or with the session lost, the cell is interrupted as before', async () => {
  for (const f of [fakeSession('no-journal'), fakeSession(undefined)]) {
    const { cells } = await interruptedTurn(f);
    expect(cells[0]).toMatchObject({ fullOutput: INTERRUPTED_MESSAGE, result: { raised: true, sub: { calls: 0 } } });
  }
  // A lost session: its journal cannot tell; the new session is started for the next cell, which is told.
  const fresh = fakeSession(undefined, 's-2');
  const { cells } = await interruptedTurn(fresh, true, fresh.session);
  expect(cells[0]).toMatchObject({ fullOutput: INTERRUPTED_MESSAGE, result: { raised: true } });
  expect(fresh.asked.map((a) => a.sessionId)).toEqual(['s-1']);
  expect(fresh.ran.map((r) => r.code)).toEqual(['print(a)']);
  expect(cells[1].fullOutput).toMatch(/^ran print\(a\)\n\[sandbox\] The sandbox session was lost and a new one was started/);
});
