/**
 * The local engine's cancellation seam: one `AbortSignal` for the engine, threaded into every model
 * call (root and sub) and guarding the sandbox, so a cancelled run stops calling models at once and
 * never starts a new sandbox session (a cell interrupted by stopping its session would otherwise be
 * "recovered" by starting a fresh one).
 */
import { RunCancelledError } from '../../lambdas/core/errors';
import type {
  LanguageModel, LoadedContext, ModelCallOptions, ModelRequest, ModelResponse, Sandbox, SandboxSession, SandboxStartOptions,
} from '../../lambdas/core/ports';

/** The reason a cancelled signal carries, as a `RunCancelledError`. */
export function cancellationOf(signal: AbortSignal): RunCancelledError {
  const r = signal.reason as unknown;
  return r instanceof RunCancelledError ? r : new RunCancelledError(r instanceof Error ? r.message : String(r ?? 'cancelled'));
}

/** Every call also listens to the engine's signal. */
export class CancellableModel implements LanguageModel {
  readonly description: string;

  /** @param inner the model; @param engineSignal fires when the engine is cancelled. */
  constructor(private readonly inner: LanguageModel, private readonly engineSignal: AbortSignal) {
    this.description = inner.description;
  }

  /** Forward with a signal that fires on the caller's abort or the engine's cancel. */
  converse(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    const signal = options.signal ? AbortSignal.any([options.signal, this.engineSignal]) : this.engineSignal;
    return this.inner.converse(request, { ...options, signal });
  }
}

/**
 * After the engine is cancelled, `start` and `resume` throw `RunCancelledError` (a session that
 * finishes starting afterwards is stopped at once). Remembers each run's session IDs so the engine
 * can stop them even before the run item records one.
 */
export class CancellableSandbox implements Sandbox {
  readonly description: string;
  private readonly sessionsByRun = new Map<string, Set<string>>();

  /** @param inner the sandbox; @param engineSignal fires when the engine is cancelled. */
  constructor(private readonly inner: Sandbox, private readonly engineSignal: AbortSignal) {
    this.description = inner.description;
  }

  private guard(): void {
    if (this.engineSignal.aborted) throw cancellationOf(this.engineSignal);
  }

  private remember(runId: string, sessionId: string): void {
    const set = this.sessionsByRun.get(runId) ?? new Set<string>();
    set.add(sessionId);
    this.sessionsByRun.set(runId, set);
  }

  /** Start a session unless cancelled. */
  async start(options: SandboxStartOptions): Promise<{ session: SandboxSession; loaded: LoadedContext }> {
    this.guard();
    const started = await this.inner.start(options);
    this.remember(options.runId, started.session.sessionId);
    if (this.engineSignal.aborted) {
      await started.session.close().catch(() => undefined);
      throw cancellationOf(this.engineSignal);
    }
    return started;
  }

  /** Re-attach unless cancelled. */
  async resume(sessionId: string, options: SandboxStartOptions): Promise<SandboxSession> {
    this.guard();
    this.remember(options.runId, sessionId);
    return this.inner.resume(sessionId, options);
  }

  /** Stop a session (always allowed). */
  stop(sessionId: string): Promise<void> {
    return this.inner.stop(sessionId);
  }

  /** Stop every session this engine started or resumed for `runId`. Never throws. */
  async stopRun(runId: string): Promise<void> {
    const ids = [...(this.sessionsByRun.get(runId) ?? [])];
    await Promise.all(ids.map((id) => this.inner.stop(id).catch(() => undefined)));
  }
}
