/** watchSignals: the first signal cancels, a second exits at once, a slow cancel exits after the grace period. */
import { RunCancelledError } from '../../lambdas/core/errors';
import { watchSignals } from '../../bin/cli/signals';

const emit = (sig: NodeJS.Signals) => (process.emit as (event: string, signal: string) => boolean)(sig, sig);

test('first signal aborts with RunCancelledError; the second exits with 128+N at once', () => {
  const lines: string[] = [];
  const exits: number[] = [];
  const w = watchSignals({ stderr: (l) => lines.push(l), exit: (c) => exits.push(c), signals: ['SIGUSR2'], graceMs: 60_000 });
  try {
    expect(w.signal.aborted).toBe(false);
    emit('SIGUSR2');
    expect(w.signal.aborted).toBe(true);
    expect(w.signal.reason).toBeInstanceOf(RunCancelledError);
    expect((w.signal.reason as Error).message).toBe('cancelled by SIGUSR2');
    expect(w.received()).toBe('SIGUSR2');
    expect(exits).toEqual([]);
    emit('SIGUSR2');
    expect(exits).toEqual([128 + 12]);
    expect(lines.join('\n')).toMatch(/cancelling the run[\s\S]*again: exiting now/);
  } finally {
    w.dispose();
  }
  expect(process.listenerCount('SIGUSR2')).toBe(0);
});

test('a cancel that takes longer than the grace period exits anyway', async () => {
  const exits: number[] = [];
  const w = watchSignals({ stderr: () => undefined, exit: (c) => exits.push(c), signals: ['SIGUSR2'], graceMs: 50 });
  try {
    emit('SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    expect(exits).toEqual([140]);
  } finally {
    w.dispose();
  }
});
