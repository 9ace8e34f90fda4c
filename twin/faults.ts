/**
 * The twin's fault switchboard: arm a fault at a named point of the offline twin, and the emulator (or the
 * Lambda emulation, or the S3/DynamoDB proxy) that passes that point makes it happen for real — an HTTP 429
 * with `ThrottlingException`, a 5xx, a dropped TCP connection, a delay, a hang, a killed process.
 *
 * ## Model
 * - A **point** is a place in the twin where a request or step passes ({@link FaultPoint}), e.g.
 *   `'bedrock.converse.root'`, `'agentcore.invoke.after-output'`, `'dynamodb.PutItem'`, `'lambda.RootTurn'`.
 *   Each pass is a **hit**: the component calls {@link FaultHitter.hit} with the point (and an optional `detail`,
 *   e.g. the state name for `'sfn.between-steps'` or the model ID for Converse) and gets back the fault to apply,
 *   or `undefined` to behave normally. Hits are counted per point whether or not a fault fires.
 * - A **fault** ({@link FaultSpec}) says what happens ({@link FaultKind}) and when: it skips the first `afterHits`
 *   matching hits, then fires on the next `times` matching hits (default 1; `Infinity` for every one),
 *   optionally only where `detail` equals `where`. When several armed faults match a hit, the first armed fires.
 * - {@link FaultSwitchboard.fired} lists what fired (for assertions), {@link FaultSwitchboard.hits} the counters,
 *   {@link FaultSwitchboard.reset} disarms everything and zeroes the counters.
 *
 * ## Across processes
 * The Lambda emulation and the sandbox kernels run in child processes. The process that owns the switchboard
 * serves it with `serveFaultControl` (twin/fault-control.ts: loopback HTTP, JSON); other processes use `FaultClient`
 * (same `hit` contract, async) — or `faultsFromEnv`, which reads:
 * - `RLM_TWIN_FAULTS_URL` — the control endpoint: hits go to the one shared switchboard (shared counters);
 * - else `RLM_TWIN_FAULTS` — a JSON array of {@link FaultSpec}: a switchboard private to that process.
 *
 * Control endpoint routes: `GET /faults` (state: armed, hits, fired), `POST /faults` (body: one spec or an array;
 * answers `{ ids }`), `DELETE /faults` (reset), `DELETE /faults/{id}` (disarm one), `POST /hit` (body
 * `{ point, detail? }`; answers `{ fault: FiredFault | null }`).
 *
 * ## What each kind means where (the emulators document the details)
 * - `throttle`: the service's throttling error (HTTP 429 `ThrottlingException`; in an event stream, the
 *   `throttlingException` event; DynamoDB `ProvisionedThroughputExceededException`/`ThrottlingException`; S3 `SlowDown`).
 * - `server-error`: the service's 5xx (`InternalServerException` 500, or `status` if given; in an event stream the
 *   `internalServerException` event).
 * - `drop-connection`: the socket is destroyed without a response (after partial output for `after-output` points).
 * - `delay`: wait `delayMs` (default 1000), then behave normally.
 * - `timeout`: never answer (with `delayMs`: drop the connection after that long; else hold until the client gives
 *   up); for `lambda.*` the invocation runs past its timeout and is killed, reported as `Lambda.Unknown`.
 * - `kill`: the process behind the point dies (`lambda.*`: the warm container; `agentcore.*`: the session's kernel;
 *   where no process stands behind the point, e.g. Bedrock, it is `drop-connection`).
 *
 * Test infrastructure only: product code (lambdas/, lib/, bin/) never imports twin/.
 */

/** The named places where a fault can be injected. Open-ended for per-operation and per-Task points. */
export type FaultPoint =
  | 'bedrock.converse.root'
  | 'bedrock.converse.sub'
  | 'agentcore.start'
  | 'agentcore.get'
  | 'agentcore.stop'
  | 'agentcore.list'
  | 'agentcore.invoke.before-output'
  | 'agentcore.invoke.after-output'
  | 'dynamodb.PutItem'
  | 'dynamodb.UpdateItem'
  | 's3.PutObject'
  | 'sfn.between-steps'
  | `lambda.${string}`
  | `dynamodb.${string}`
  | `s3.${string}`
  | `bedrock.${string}`
  | `agentcore.${string}`
  | `sfn.${string}`;

/** What an armed fault does when it fires. */
export type FaultKind = 'throttle' | 'server-error' | 'drop-connection' | 'delay' | 'timeout' | 'kill';

/** The fault kinds, for validation and listing. */
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'server-error', 'drop-connection', 'delay', 'timeout', 'kill'];

/** One fault to arm. */
export interface FaultSpec {
  point: FaultPoint;
  kind: FaultKind;
  /** How many matching hits fire (default 1). `Infinity` (JSON: `null` or `-1`) fires on every matching hit. */
  times?: number;
  /** Matching hits to let through before the first fire (default 0). */
  afterHits?: number;
  /** Only hits whose `detail` equals this match (e.g. a state name, a model ID). */
  where?: string;
  /** Milliseconds for `delay` (default 1000) and `timeout` (default: forever). */
  delayMs?: number;
  /** HTTP status for `server-error` where the service allows a choice (default 500). */
  status?: number;
  /** Message carried in the error body. */
  message?: string;
  /**
   * Exact exception name for `throttle`/`server-error` (e.g. `'ModelNotReadyException'`, `'ModelTimeoutException'`,
   * `'AccessDeniedException'`): the emulator answers with that error shape and the status its service model gives it.
   */
  error?: string;
}

/** A fault that fired at one hit: the spec, its ID, and which hit of the point it was. */
export interface FiredFault extends FaultSpec {
  id: string;
  /** 1-based count of hits at this point when it fired. */
  hit: number;
  detail?: string;
}

/** Anything a component can ask "does a fault fire here?" — a local switchboard or a remote client. */
export interface FaultHitter {
  hit(point: FaultPoint, detail?: string): FiredFault | undefined | Promise<FiredFault | undefined>;
}

interface Armed { id: string; spec: FaultSpec; seen: number; fired: number }

/** Reads a spec from untrusted JSON, with a clear error naming the problem. */
export function parseFaultSpec(raw: unknown): FaultSpec {
  if (!raw || typeof raw !== 'object') throw new TypeError(`fault spec must be an object, got ${JSON.stringify(raw)}`);
  const s = raw as Record<string, unknown>;
  if (typeof s.point !== 'string' || !/^(bedrock|agentcore|dynamodb|s3|sfn|lambda)\./.test(s.point)) {
    throw new TypeError(`fault spec point must be a string like 'bedrock.converse.root', got ${JSON.stringify(s.point)}`);
  }
  if (!FAULT_KINDS.includes(s.kind as FaultKind)) {
    throw new TypeError(`fault spec kind must be one of ${FAULT_KINDS.join(', ')}, got ${JSON.stringify(s.kind)}`);
  }
  const num = (k: string): number | undefined => {
    const v = s[k];
    if (v === undefined) return undefined;
    if (k === 'times' && (v === null || v === -1)) return Infinity;
    if (typeof v !== 'number' || !(v >= 0)) throw new TypeError(`fault spec ${k} must be a number >= 0, got ${JSON.stringify(v)}`);
    return v;
  };
  const str = (k: string): string | undefined => {
    const v = s[k];
    if (v !== undefined && typeof v !== 'string') throw new TypeError(`fault spec ${k} must be a string, got ${JSON.stringify(v)}`);
    return v as string | undefined;
  };
  const spec: FaultSpec = { point: s.point as FaultPoint, kind: s.kind as FaultKind };
  const times = num('times'), afterHits = num('afterHits'), delayMs = num('delayMs'), status = num('status');
  const where = str('where'), message = str('message'), error = str('error');
  if (times !== undefined) spec.times = times;
  if (afterHits !== undefined) spec.afterHits = afterHits;
  if (delayMs !== undefined) spec.delayMs = delayMs;
  if (status !== undefined) spec.status = status;
  if (where !== undefined) spec.where = where;
  if (message !== undefined) spec.message = message;
  if (error !== undefined) spec.error = error;
  return spec;
}

/** The switchboard itself: arm, hit, count, reset. Synchronous; one per twin (served to other processes). */
export class FaultSwitchboard implements FaultHitter {
  private armed: Armed[] = [];
  private counters = new Map<string, number>();
  private log: FiredFault[] = [];
  private nextId = 1;

  /** Arms one fault (validated); returns its ID. */
  arm(spec: FaultSpec): string {
    const checked = parseFaultSpec(spec);
    const id = `f${this.nextId++}`;
    this.armed.push({ id, spec: checked, seen: 0, fired: 0 });
    return id;
  }

  /** Disarms one fault; true when it was armed. */
  disarm(id: string): boolean {
    const before = this.armed.length;
    this.armed = this.armed.filter((a) => a.id !== id);
    return this.armed.length < before;
  }

  /** Counts a hit at `point` and returns the fault that fires there, if any. */
  hit(point: FaultPoint, detail?: string): FiredFault | undefined {
    const n = (this.counters.get(point) ?? 0) + 1;
    this.counters.set(point, n);
    let chosen: Armed | undefined;
    for (const a of this.armed) {
      if (a.spec.point !== point || (a.spec.where !== undefined && a.spec.where !== detail)) continue;
      const times = a.spec.times ?? 1;
      if (a.fired >= times) continue;
      a.seen++;
      if (!chosen && a.seen > (a.spec.afterHits ?? 0)) chosen = a;
    }
    if (!chosen) return undefined;
    chosen.fired++;
    const fired: FiredFault = { ...chosen.spec, id: chosen.id, hit: n, ...(detail !== undefined ? { detail } : {}) };
    this.log.push(fired);
    return fired;
  }

  /** Hits counted at one point, or all counters. */
  hits(point: FaultPoint): number;
  hits(): Record<string, number>;
  hits(point?: FaultPoint): number | Record<string, number> {
    return point ? this.counters.get(point) ?? 0 : Object.fromEntries(this.counters);
  }

  /** Every fault that fired, in order. */
  fired(): FiredFault[] {
    return [...this.log];
  }

  /** Armed faults with how often each fired so far. */
  list(): Array<FaultSpec & { id: string; fired: number }> {
    return this.armed.map((a) => ({ ...a.spec, id: a.id, fired: a.fired }));
  }

  /** Disarms everything and zeroes the counters and the fired log. */
  reset(): void {
    this.armed = [];
    this.counters.clear();
    this.log = [];
  }
}

/** No faults: every hit passes. */
export const NO_FAULTS: FaultHitter = { hit: () => undefined };

/** Sleeps `ms` milliseconds (for `delay`). */
export function faultDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
