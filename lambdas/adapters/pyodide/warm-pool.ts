/**
 * Warm spares for `rlm batch` / `rlm eval`: sandbox processes booted ahead, so an item's session is
 * (nearly) ready when the item starts. Two ways to get from one item to the next:
 * - fresh spares (the default of the sandbox): a spare serves exactly one run; when its run ends the
 *   process is killed and the next item gets another fresh process. Nothing item 1's code did exists in
 *   item 2's process. The boot snapshot makes the spares cheap (about 1 s of CPU each).
 * - reused sessions (`reuseSessions`, what batch and eval use): a session whose run ended is reset in place
 *   (pyodide_reset.py) and given back ({@link WarmPool.giveBack}) to serve the next item in milliseconds;
 *   one the reset cannot vouch for is killed and replaced by a fresh spare.
 *
 * Spares are booted for the settings of the last start (items of a batch share them); a start with
 * other settings drops them and boots for its own. A spare that died while idle is dropped.
 */
import type { PyodideSession } from './pyodide-session';
import { workerSettingsKey, type SessionSettings } from './session-init';

/** Most spares worth booting ahead: more only compete with the runs for CPU. */
export const MAX_WARM_SESSIONS = 4;

/** Spares for `concurrency` runs at once: as many (every run finds one ready), at most {@link MAX_WARM_SESSIONS}. */
export function warmSessionsFor(concurrency: number): number {
  return Math.max(1, Math.min(MAX_WARM_SESSIONS, Math.floor(concurrency)));
}

/** Spares booted ahead for the settings of the most recent start. */
export class WarmPool {
  private spares: PyodideSession[] = [];
  private key: string | null = null;
  private closed = false;
  /** Resets in progress (`recycling`): each settles once its session was given back or stopped. */
  private resets = new Set<Promise<void>>();

  /**
   * @param size spares kept booted (0: none)
   * @param spawn starts a session process for `settings` (not yet claimed by a run)
   * @param limit spares spawned over the pool's life at most
   */
  constructor(readonly size: number, private readonly spawn: (settings: SessionSettings) => PyodideSession, private limit = Infinity) {}

  /** Number of spares now (booting or booted). */
  get spareCount(): number {
    return this.spares.length;
  }

  /** Process IDs of the spares (tests). */
  get sparePids(): Array<number | undefined> {
    return this.spares.map((s) => s.pid);
  }

  /**
   * A live spare for `settings`, or undefined when there is none (the caller spawns its own first); then
   * call {@link refill} so the next start finds one.
   */
  take(settings: SessionSettings): PyodideSession | undefined {
    if (this.closed || this.size <= 0) return undefined;
    const key = workerSettingsKey(settings);
    if (key !== this.key) {
      this.drop(this.spares);
      this.spares = [];
      this.key = key;
    }
    while (this.spares.length) {
      const spare = this.spares.shift()!;
      if (spare.live) return spare;
      void spare.close();
    }
    return undefined;
  }

  /** Top the spares up to `size` for `settings`. */
  refill(settings: SessionSettings): void {
    if (this.closed || this.size <= 0) return;
    if (workerSettingsKey(settings) !== this.key) return;
    while (this.spares.length < this.size && this.limit > 0) {
      this.limit--;
      this.spares.push(this.spawn(settings));
    }
  }

  /**
   * A session reset after its run, to serve a later start: kept first in line (its interpreter is warm),
   * unless the pool is closed, its settings are not the pool's, or the pool already holds `size` spares
   * (then the newest fresh spare is dropped for it). Closed when not kept.
   */
  giveBack(session: PyodideSession): void {
    if (this.closed || this.size <= 0 || session.settingsKey !== this.key || !session.live) {
      void session.close();
      return;
    }
    this.spares.unshift(session);
    while (this.spares.length > this.size) void this.spares.pop()!.close();
  }

  /** A reset in progress, which gives its session back or stops it when it settles (it must not reject). */
  recycling(reset: Promise<void>): void {
    const tracked = reset.catch(() => undefined).finally(() => this.resets.delete(tracked));
    this.resets.add(tracked);
  }

  /**
   * When no spare is ready but resets are in progress: wait for them one at a time until one gives a spare
   * for `settings` back (then take it) or none is left.
   */
  async recycled(settings: SessionSettings): Promise<PyodideSession | undefined> {
    while (this.resets.size > 0 && !this.closed) {
      await Promise.race(this.resets);
      const spare = this.take(settings);
      if (spare) return spare;
    }
    return undefined;
  }

  /** Stop every spare, after the resets in progress (their sessions are stopped too); later takes find none. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.resets);
    const all = this.spares;
    this.spares = [];
    await Promise.all(all.map((s) => s.close()));
  }

  private drop(spares: PyodideSession[]): void {
    for (const s of spares) void s.close();
  }
}
