/** Live progress rendering (bin/cli/progress.ts): terminal redraws in place, pipes get plain lines. */
import { describeRetry, describeTurn, ItemProgress, stderrProgress } from '../../bin/cli/progress';
import { zeroTotals } from '../../lambdas/core/accounting';
import type { TurnRecord } from '../../lambdas/core/types';

const RUN = 'run-p';

function turn(index: number, over: Partial<TurnRecord> = {}): TurnRecord {
  return {
    runId: RUN, index, kind: 'code', startedAt: '2026-12-01T10:00:00.000Z', endedAt: '2026-12-01T10:00:02.500Z',
    replyText: '', rootUsage: { inputTokens: 100, outputTokens: 20 }, rootModelId: 'm', rootLatencyMs: 2000,
    cells: [{
      code: 'x = 1\nprint(y)', modelOutput: '', fullOutput: 'Traceback (most recent call last):\n  File "<cell>", line 2\nNameError: name \'y\' is not defined',
      result: { timedOut: false, raised: true, durationMs: 5, sub: { calls: 3, errors: 1, inputTokens: 0, outputTokens: 0, records: [] } },
    }],
    ...over,
  };
}

test('a finished turn names the failed cell\'s exception, failed sub-calls and the running cost', () => {
  const line = describeTurn(turn(2), 30, { ...zeroTotals(), costUsd: 0.01234 });
  expect(line).toMatch(/^turn 2\/30 · 1 cell \[NameError\] x = 1 · /);
  expect(line).toContain('3 sub-calls (1 failed)');
  expect(line).toContain('2.5 s · $0.0123 so far');
});

test('the last tool-less call is labelled as such, not "turn 4/3"', () => {
  const line = describeTurn(turn(4, { kind: 'final_call', cells: [], outcome: { stopReason: 'iteration_cap', answer: 'a' } }), 3);
  expect(line).toMatch(/^final call \(no tools\) · answered without tools · /);
  expect(line).not.toContain('4/3');
  expect(line).toMatch(/-> iteration_cap$/);
});

test('a retry reads "retrying 2/6 in 4 s: ThrottlingException"', () => {
  expect(describeRetry({ role: 'root', attempt: 2, maxAttempts: 6, delayMs: 4000, error: 'ThrottlingException' })).toBe('root model: retrying 2/6 in 4 s: ThrottlingException');
  expect(describeRetry({ role: 'sub', attempt: 1, maxAttempts: 3, delayMs: 250, error: 'ModelUnavailableError' })).toBe('sub model: retrying 1/3 in 250 ms: ModelUnavailableError');
});

test('on a terminal the live line is redrawn in place and cleared around plain lines', () => {
  let t = 0;
  const lines: string[] = [];
  let raw = '';
  const p = stderrProgress((l) => { lines.push(l); raw += l + '\n'; }, { tty: (s) => { raw += s; }, now: () => t });
  p.turnStarted!({ runId: RUN, iteration: 1, maxIterations: 30 });
  p.modelCallStarted!({ runId: RUN, iteration: 1, finalCall: false });
  t = 1500;
  p.retrying!({ runId: RUN, role: 'root', attempt: 1, maxAttempts: 6, delayMs: 2000, error: 'ThrottlingException' });
  p.cellStarted!({ runId: RUN, iteration: 1, cell: 1 });
  for (let i = 1; i <= 5; i++) p.subCalls!({ runId: RUN, iteration: 1, cell: 1, inFlight: 5 - i, done: i, errors: i > 3 ? 1 : 0 });
  p.turnFinished!({ runId: RUN, turn: turn(1), totals: zeroTotals(), maxIterations: 30 });
  // plain lines: only the retry and the finished turn
  expect(lines).toEqual([expect.stringMatching(/^turn 1\/30 · 1\.5 s · root model: retrying 1\/6 in 2 s: ThrottlingException$/), expect.stringMatching(/^turn 1\/30 · 1 cell \[NameError\]/)]);
  const frames = raw.split('\r\x1b[2K').filter(Boolean);
  expect(frames[0]).toBe('turn 1/30 · 0 ms · root model call in flight…');
  expect(frames).toContain('turn 1/30 · 1.5 s · cell 1 · sub-calls 0 in flight, 5 done (1 failed)');
  // the retry line is printed on a cleared line, then the live line comes back
  expect(raw).toMatch(/\r\x1b\[2Kturn 1\/30 · 1\.5 s · root model: retrying[^\n]*\nturn 1\/30 · 0 ms · root model call in flight…/);
  // the finished turn line starts on a cleared line and nothing is left live
  expect(raw.endsWith('\r\x1b[2K' + lines[1] + '\n')).toBe(true);
});

test('in a pipe, live states are plain lines at most every interval (model call and cell start always)', () => {
  let t = 0;
  const lines: string[] = [];
  const p = stderrProgress((l) => lines.push(l), { now: () => t, pipeIntervalMs: 5000 });
  p.turnStarted!({ runId: RUN, iteration: 4, maxIterations: 3 });
  p.modelCallStarted!({ runId: RUN, iteration: 4, finalCall: true });
  p.cellStarted!({ runId: RUN, iteration: 1, cell: 1 });
  for (let i = 0; i < 100; i++) { t += 100; p.subCalls!({ runId: RUN, iteration: 1, cell: 1, inFlight: 1, done: i, errors: 0 }); }
  expect(lines[0]).toBe('final call (no tools) · 0 ms · root model call in flight…');
  const subLines = lines.filter((l) => l.includes('sub-calls'));
  expect(subLines).toHaveLength(2); // 10 s of updates every 100 ms, one line per 5 s
  expect(lines.join('\n')).not.toMatch(/\r|\x1b/);
});

test('items progress counts done and failed, sums cost and estimates the time left', () => {
  let t = 0;
  const p = new ItemProgress(4, () => t);
  t = 10_000;
  expect(p.record(true, 0.5)).toBe('0 failed · $0.5000 so far · ETA 30.0 s');
  expect(p.count).toBe(1);
  t = 20_000;
  expect(p.record(false, 0.75)).toBe('1 failed · $1.25 so far · ETA 20.0 s');
  p.record(true, 0);
  expect(p.record(true, 0)).toBe('1 failed · $1.25 so far · all done');
  expect(p.count).toBe(4);
});
