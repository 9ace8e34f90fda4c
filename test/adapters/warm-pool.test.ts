/** WarmPool bookkeeping with stand-in sessions (the real processes are in pyodide-warm.test.ts). */
import type { PyodideSession } from '../../lambdas/adapters/pyodide';
import type { SessionSettings } from '../../lambdas/adapters/pyodide/session-init';
import { MAX_WARM_SESSIONS, WarmPool, warmSessionsFor } from '../../lambdas/adapters/pyodide/warm-pool';
import { FakeSubModel } from './pyodide-fakes';

class StandIn {
  live = true;
  closed = false;
  constructor(readonly pid: number, readonly settings: SessionSettings) {}
  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
  }
}

const settings = (subModelId = 'sub'): SessionSettings => ({
  subModel: new FakeSubModel(1), subModelId, subConcurrency: 2, maxCaptureChars: 100, hardKillGraceMs: 1, interruptRetryMs: 1, memoryLimitMb: 512, price: () => 0,
});

function pool(size: number, limit?: number) {
  const spawned: StandIn[] = [];
  const p = new WarmPool(size, (s) => {
    const x = new StandIn(spawned.length + 1, s);
    spawned.push(x);
    return x as unknown as PyodideSession;
  }, limit);
  return { p, spawned };
}

test('a miss first, then spares booted for those settings are handed out in order and replaced', () => {
  const { p, spawned } = pool(2);
  expect(p.take(settings())).toBeUndefined();
  p.refill(settings());
  expect(spawned.map((s) => s.pid)).toEqual([1, 2]);
  expect((p.take(settings()) as unknown as StandIn).pid).toBe(1);
  p.refill(settings());
  expect(p.sparePids).toEqual([2, 3]);
});

test('a spare that died while idle is closed and skipped; other settings drop the spares', async () => {
  const { p, spawned } = pool(2);
  p.take(settings());
  p.refill(settings());
  spawned[0]!.live = false;
  expect((p.take(settings()) as unknown as StandIn).pid).toBe(2);
  expect(spawned[0]!.closed).toBe(true);
  p.refill(settings());
  expect(p.take(settings('other-model'))).toBeUndefined();
  expect(spawned.filter((s) => s.closed).map((s) => s.pid)).toEqual([1, 3, 4]);
  p.refill(settings('other-model'));
  expect(spawned.slice(-2).map((s) => s.settings.subModelId)).toEqual(['other-model', 'other-model']);
});

test('the limit caps spares spawned over the pool life; close stops the spares and later takes miss', async () => {
  const { p, spawned } = pool(3, 4);
  p.take(settings());
  p.refill(settings());
  p.take(settings());
  p.take(settings());
  p.refill(settings());
  p.take(settings());
  p.refill(settings());
  expect(spawned).toHaveLength(4);
  const idle = p.sparePids;
  expect(idle).toEqual([4]);
  await p.close();
  // idle spares are stopped; taken ones belong to their runs
  expect(spawned.map((s) => s.closed)).toEqual([false, false, false, true]);
  expect(p.spareCount).toBe(0);
  expect(p.take(settings())).toBeUndefined();
});

test('spares for a concurrency: as many, 1 at least, at most MAX_WARM_SESSIONS', () => {
  expect([0, 1, 3, 4, 16].map(warmSessionsFor)).toEqual([1, 1, 3, 4, MAX_WARM_SESSIONS]);
});
