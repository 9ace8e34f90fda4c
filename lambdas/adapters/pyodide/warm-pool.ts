/**
 * Warm spares for `rlm batch` / `rlm eval`: sandbox processes booted ahead, so an item's session is
 * (nearly) ready when the item starts. A spare serves exactly one run and is never reused: when its run
 * ends the process is killed, as any session's, and the next item gets another fresh process. That is
 * the reset between items: nothing item 1's code did (poisoned builtins, `sys.modules`, globals, files,
 * even JavaScript reached from Python) exists in item 2's process. The boot snapshot makes the spares cheap.
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

  /** Stop every spare; later takes find none. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const all = this.spares;
    this.spares = [];
    await Promise.all(all.map((s) => s.close()));
  }

  private drop(spares: PyodideSession[]): void {
    for (const s of spares) void s.close();
  }
}
