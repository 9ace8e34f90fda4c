/**
 * Test kit for the fault matrix: a ledger sandbox (a tiny interpreter with real per-session state that
 * records every execution and every open session) and a fault injector that wraps the engine's adapters
 * and fails one chosen call, before or after it takes effect, the way each fault kind does.
 */
import { emptySubStats } from '../../lambdas/core/cell-report';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import {
  ConversationStoreThrottledError, ConversationStoreUnavailableError, DocumentStoreUnavailableError, ModelError, ModelThrottledError, ModelUnavailableError,
  SandboxSessionLostError, SandboxThrottledError, SandboxUnavailableError,
} from '../../lambdas/core/errors';
import type { CellExecOptions, ConversationStore, LanguageModel, Sandbox, SandboxSession, SandboxStartOptions } from '../../lambdas/core/ports';
import type { CellResult, SubCallRecord } from '../../lambdas/core/types';

/**
 * Sandbox double with real state: cells are lines `NAME = N`, `NAME += N`, `sub N` (N sub-calls through the
 * model, counted in the cell's stats) and `FINAL` (answers `a=<a>`). Every execution and session is recorded.
 */
export class LedgerSandbox implements Sandbox {
  readonly description = 'ledger';
  readonly executions: string[] = [];
  readonly open = new Set<string>();
  subCallsMade = 0;
  /** The invocation died inside a listener (an injected kill in the sub-call log): nothing more of the cell runs. */
  dead?: () => Error | undefined;
  private starts = 0;
  private readonly namespaces = new Map<string, Map<string, number>>();
  constructor(private readonly model: LanguageModel) {}

  async start(options: SandboxStartOptions) {
    const id = `${options.runId}-s${++this.starts}`;
    this.open.add(id);
    this.namespaces.set(id, new Map());
    return { session: this.session(id), loaded: { documents: options.documents.map((d) => ({ ...d, chars: 5 })), totalChars: 5, preview: 'hello' } };
  }

  async resume(id: string): Promise<SandboxSession> {
    if (!this.open.has(id)) throw new SandboxSessionLostError(`session ${id} is not running`);
    return this.session(id);
  }

  async stop(id: string): Promise<void> {
    this.open.delete(id);
  }

  private session(id: string): SandboxSession {
    return {
      sessionId: id,
      execute: async (code, options) => this.run(id, code, options),
      close: async () => this.stop(id),
    };
  }

  private async run(id: string, full: string, options?: CellExecOptions): Promise<CellResult> {
    const ns = this.namespaces.get(id)!;
    this.executions.push(full);
    const sub = emptySubStats();
    // `CODE # print N`: CODE, then N characters of output (a cell output big enough to spill to an artifact).
    const printed = /^(.*) # print (\d+)$/.exec(full);
    const code = printed ? printed[1] : full;
    const result: CellResult = { stdout: printed ? 'x'.repeat(Number(printed[2])) : `ran ${code}`, stderr: '', timedOut: false, raised: false, durationMs: 1, sub };
    const alive = () => {
      const died = this.dead?.();
      if (died) throw died;
    };
    let m: RegExpMatchArray | null;
    if ((m = code.match(/^(\w+) = (\d+)$/))) ns.set(m[1], Number(m[2]));
    else if ((m = code.match(/^(\w+) \+= (\d+)$/))) ns.set(m[1], (ns.get(m[1]) ?? 0) + Number(m[2]));
    else if ((m = code.match(/^sub (\d+)$/))) {
      for (let i = 0; i < Number(m[1]); i++) {
        const record: SubCallRecord = { model: 'scripted', promptChars: 2, responseChars: 1, promptPreview: `q${i}`, responsePreview: '', inputTokens: 0, outputTokens: 0, durationMs: 0 };
        sub.calls += 1;
        options?.onSubCalls?.({ inFlight: 1, done: i, errors: sub.errors });
        alive();
        try {
          const r = await this.model.converse({ role: 'sub', modelId: 'scripted', messages: [{ role: 'user', content: [{ type: 'text', text: `q${i}` }] }] });
          this.subCallsMade += 1;
          record.inputTokens = r.usage.inputTokens;
          record.outputTokens = r.usage.outputTokens;
        } catch (err) {
          // As the host ledger does: a failed sub-call is an error string for the code (it counts as made);
          // only the invocation dying (an injected kill) ends the cell.
          if (!(err instanceof ModelError)) throw err;
          sub.errors += 1;
          record.error = `${err.name}: ${err.message}`;
        }
        sub.inputTokens += record.inputTokens;
        sub.outputTokens += record.outputTokens;
        sub.records.push(record);
        options?.onSubCallDone?.(record); // as the Pyodide sandbox's host ledger does
        alive();
      }
    } else if (code === 'FINAL') result.final = { value: `a=${ns.get('a') ?? 'unset'}` };
    else return { ...result, stderr: `SyntaxError: ${code}`, raised: true };
    return result;
  }
}

/** How a fault shows: the error a port raises for it, and whether the call took effect first. */
export type FaultKind = 'throttle' | '5xx' | 'drop' | 'kill-before' | 'kill-after';
/** Setups only: `lose` makes `sandbox.resume` find its session gone (stopped, `SandboxSessionLostError`). */
export type SetupKind = FaultKind | 'lose';
/** A port call to fail: `store.putStep:reply`, `store.putTurn`, `sandbox.execute`, `model.root`, `documents.putArtifact`... */
export interface FaultPoint {
  op: string;
  /** Which matching call fails (1-based). */
  nth?: number;
}

/** A Lambda invocation that died (timeout, OOM, kill): how Step Functions sees it. */
function killed(op: string): Error {
  const err = new Error(`injected: the invocation died at ${op}`);
  err.name = 'Lambda.Unknown';
  return err;
}

function errorFor(port: string, kind: FaultKind, op: string): Error {
  if (kind === 'kill-before' || kind === 'kill-after') return killed(op);
  const msg = `injected ${kind} at ${op}`;
  if (port === 'store') return kind === 'throttle' ? new ConversationStoreThrottledError(msg) : new ConversationStoreUnavailableError(msg);
  if (port === 'model') return kind === 'throttle' ? new ModelThrottledError(msg) : new ModelUnavailableError(msg);
  if (port === 'sandbox') {
    if (kind === 'throttle') return new SandboxThrottledError(msg);
    return new SandboxUnavailableError(msg, { cellDidNotRun: kind === '5xx' });
  }
  // The S3 adapter's name for a 5xx, SlowDown or dropped connection that outlasted the client's retries.
  if (port === 'documents') return new DocumentStoreUnavailableError(msg);
  return killed(op);
}

/** Fails the one call `point` names, once, as `kind` does: before it takes effect, or after (the reply is lost). */
export class FaultInjector {
  fired = false;
  /** Set when a kill fired inside a listener: the invocation is dead (read once by `LedgerSandbox.dead`). */
  dead: Error | undefined;
  private readonly counts = new Map<string, number>();
  constructor(readonly point: FaultPoint | undefined, readonly kind: SetupKind) {}

  /** Whether this call of `op` is the one to fail. */
  private hit(op: string): boolean {
    const n = (this.counts.get(op) ?? 0) + 1;
    this.counts.set(op, n);
    const hit = !this.fired && this.point?.op === op && (this.point.nth ?? 1) === n;
    if (hit) this.fired = true;
    return hit;
  }

  private error(port: string, op: string): Error {
    if (this.kind === 'lose') return new SandboxSessionLostError(`injected: the session is gone at ${op}`);
    return errorFor(port, this.kind, op);
  }

  private async call<T>(port: string, op: string, inner: () => Promise<T>): Promise<T> {
    if (!this.hit(op)) return inner();
    const after = this.kind === 'drop' || this.kind === 'kill-after';
    if (!after) throw this.error(port, op);
    await inner();
    throw this.error(port, op);
  }

  /** `call` for a synchronous port call (the store's sub-call log). */
  private callSync<T>(port: string, op: string, inner: () => T): T {
    if (!this.hit(op)) return inner();
    const after = this.kind === 'drop' || this.kind === 'kill-after';
    const err = this.error(port, op);
    // A listener swallows what it throws (as the host ledger does): a kill must also end the cell.
    if (this.kind.startsWith('kill')) this.dead = err;
    if (after) inner();
    throw err;
  }

  /** The model with the fault wired in (`model.root`, `model.sub`): hand it to a sandbox that makes sub-calls. */
  wrapModel(model: LanguageModel): LanguageModel {
    return { description: model.description, converse: (req, o) => this.call('model', `model.${req.role}`, () => model.converse(req, o)) };
  }

  /** The adapters with the fault wired in. */
  wrap(deps: EngineDeps): EngineDeps {
    const store = deps.store;
    const wrappedStore: ConversationStore = {
      createRun: (r) => this.call('store', 'store.createRun', () => store.createRun(r)),
      getRun: (id) => store.getRun(id),
      setSandboxSession: (id, s) => this.call('store', 'store.setSandboxSession', () => store.setSandboxSession(id, s)),
      putTurn: (t) => this.call('store', 'store.putTurn', () => store.putTurn(t)),
      advanceRun: (id, from, p) => this.call('store', 'store.advanceRun', () => store.advanceRun(id, from, p)),
      listTurns: (id) => store.listTurns(id),
      putStep: (s) => this.call('store', `store.putStep:${s.step.kind}`, () => store.putStep(s)),
      listSteps: (id, t) => store.listSteps(id, t),
      finishRun: (id, o) => this.call('store', 'store.finishRun', () => store.finishRun(id, o)),
      reopenRun: (id, at) => this.call('store', 'store.reopenRun', () => store.reopenRun(id, at)),
      ...(store.openSubCallLog ? {
        openSubCallLog: (id: string, turn: number) => {
          const inner = store.openSubCallLog!(id, turn);
          return { close: () => inner.close(), append: (e) => this.callSync('store', 'store.subCallLog', () => inner.append(e)) };
        },
      } satisfies Partial<ConversationStore> : {}),
      ...(store.listSubCallEvents ? { listSubCallEvents: store.listSubCallEvents.bind(store) } : {}),
    };
    const sandbox = deps.sandbox;
    const wrapSession = (s: SandboxSession): SandboxSession => ({
      sessionId: s.sessionId,
      execute: (code, o) => this.call('sandbox', 'sandbox.execute', () => s.execute(code, o)),
      close: () => s.close(),
    });
    const wrappedSandbox: Sandbox = {
      description: sandbox.description,
      start: (o) => this.call('sandbox', 'sandbox.start', async () => {
        const started = await sandbox.start(o);
        return { ...started, session: wrapSession(started.session) };
      }),
      resume: async (id, o) => {
        try {
          return wrapSession(await this.call('sandbox', 'sandbox.resume', () => sandbox.resume(id, o)));
        } catch (err) {
          if (err instanceof SandboxSessionLostError) await sandbox.stop(id); // a lost session is gone for good
          throw err;
        }
      },
      stop: (id) => this.call('sandbox', 'sandbox.stop', () => sandbox.stop(id)),
    };
    const wrappedModel = this.wrapModel(deps.model);
    const documents = deps.documents;
    return {
      ...deps, store: wrappedStore, sandbox: wrappedSandbox, model: wrappedModel,
      documents: { ...documents, resolve: (u) => documents.resolve(u), readText: (u) => documents.readText(u), putArtifact: (k, b, c) => this.call('documents', 'documents.putArtifact', () => documents.putArtifact(k, b, c)) },
    };
  }
}

/** Counts the root model's replies that reached the engine. */
export class CountingModel implements LanguageModel {
  readonly description = 'counting';
  rootReplies = 0;
  constructor(private readonly inner: LanguageModel, private readonly failRootCall?: { nth: number; error: () => Error }) {}
  private rootCalls = 0;
  async converse(...args: Parameters<LanguageModel['converse']>) {
    if (args[0].role === 'root') {
      this.rootCalls += 1;
      if (this.failRootCall && this.rootCalls >= this.failRootCall.nth) throw this.failRootCall.error();
    }
    const r = await this.inner.converse(...args);
    if (args[0].role === 'root') this.rootReplies += 1;
    return r;
  }
}
