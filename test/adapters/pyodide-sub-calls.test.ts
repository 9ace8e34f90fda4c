/** The sub-call limiter shared by a Pyodide session's batches (no Pyodide needed). */
import { Limiter } from '../../lambdas/adapters/pyodide/sub-calls';

describe('Limiter', () => {
  it('never runs more than its limit, even when a caller arrives between a release and the waiter resuming', async () => {
    const limiter = new Limiter(1);
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
    };
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const running = limiter.run(() => first);
    const waiting = limiter.run(slow);
    // Runs right after `running` gives its slot back, before `waiting` has resumed.
    const late = first.then(() => limiter.run(slow));
    release();
    await Promise.all([running, waiting, late]);
    expect(maxInFlight).toBe(1);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new Limiter(0)).toThrow(RangeError);
    expect(() => new Limiter(1.5)).toThrow(RangeError);
  });
});
