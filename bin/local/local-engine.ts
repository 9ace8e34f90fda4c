/**
 * The local engine: the state machine definition from `lib/` executed by aws-local-stepfunctions,
 * with the same task handlers in-process over local parts: the durable on-disk conversation store
 * (`<stateDir>/runs`, written as each step happens), Pyodide, local files (`<stateDir>/results`).
 */
import './polyfills';
import { newRunId } from '../cli/run-id';
import * as path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { buildRunDefinition, TASK_STATES } from '../../lib/state-machine-definition';
import { CollectingPublisher, localRunDefinition, withLocalTaskTimeouts } from './local-definition';
import { usageOf, zeroTotals } from '../../lambdas/core/accounting';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { describeError, RunNotFoundError } from '../../lambdas/core/errors';
import { cancelRun, loadRun, loadTurns, prepareResume, summarize } from '../../lambdas/core/run';
import type { ConversationStore, LanguageModel, Logger, ProgressListener, Sandbox } from '../../lambdas/core/ports';
import { noMetrics, silentLogger } from '../../lambdas/core/ports';
import type { PriceTable } from '../../lambdas/core/pricing';
import type { RunConfig, RunSummary, StartRunRequest } from '../../lambdas/core/types';
import { FileConversationStore } from '../../lambdas/adapters/local-store';
import { LocalDocumentStore } from '../../lambdas/adapters/documents/local-document-store';
import { PyodideSandbox, type PyodideSandboxOptions } from '../../lambdas/adapters/pyodide/pyodide-sandbox';
import { defaultSnapshotDir, stopSnapshotMakers } from '../../lambdas/adapters/pyodide/boot-snapshot';
import { isRetryableModelError, RetryingModel } from '../../lambdas/adapters/models/retrying-model';
import { CancellableModel, CancellableSandbox, cancellationOf } from './cancellation';
import { RESULTS_FOLDER, RUN_ARTIFACT_FILES } from '../../lambdas/core/bucket-layout';
import {
  createFinalizeRunHandler, createRecordFailureHandler, createRootTurnHandler, createStartRunHandler,
} from '../../lambdas/handlers/task-handlers';

/** Where, under the state dir, the conversation store and the artifacts live. */
export const STATE_LAYOUT = { runs: 'runs', results: RESULTS_FOLDER } as const;

/** Options of the local engine. */
export interface LocalEngineOptions {
  /** Serves the root model and the sandbox's sub-calls. */
  model: LanguageModel;
  /** Where the conversation store (`runs/`), results and trajectories (`results/`) live. Default `.rlm`. */
  stateDir?: string;
  /** Another conversation store instead of the on-disk one (tests: dynalite). */
  store?: ConversationStore;
  /** Another sandbox instead of Pyodide (tests). */
  sandbox?: Sandbox;
  /**
   * The Pyodide sandbox's warm spares (`rlm batch`, `rlm eval`; default none) and boot snapshot folder
   * (default `~/.cache/rlm`, see `boot-snapshot.ts`; null: always boot cold).
   */
  pyodide?: Pick<PyodideSandboxOptions, 'warmSessions' | 'warmLimit' | 'reuseSessions'> & { snapshotDir?: string | null };
  /** Wrap the adapters before the handlers get them (fault injection, cancellation seams). */
  wrapDeps?: (deps: EngineDeps) => EngineDeps;
  runDefaults?: Partial<RunConfig>;
  prices?: PriceTable;
  logger?: Logger;
  progress?: ProgressListener;
  /** Override the definition's Retry backoff (milliseconds) on every task, e.g. 0 in tests. */
  retryDelayOverrideMs?: number;
  /**
   * Cancels every run of this engine when it fires (Ctrl-C): model calls abort, cells are interrupted
   * (sessions stopped), and each run is recorded `cancelled` with its transcript. Same as {@link LocalEngine.cancel}.
   */
  signal?: AbortSignal;
}

/** How long a cancelled run waits for its in-flight task to notice (model calls abort, the cell is stopped). */
const CANCEL_SETTLE_MS = 5_000;

/** One machine's RLM pipeline: start once, run many times (concurrently too), close. */
export class LocalEngine {
  readonly stateDir: string;
  readonly deps: EngineDeps;
  readonly events = new CollectingPublisher();
  private readonly definition = withLocalTaskTimeouts(buildRunDefinition());
  /**
   * Not validated here: the definition is ours and built from code, so asl-validator (ajv compiling the
   * ASL schemas, ~0.5-1.5 s of CPU at every start) runs in the tests instead (test/local/definition-valid.test.ts).
   */
  private readonly machine = new StateMachine(localRunDefinition(this.definition) as never, { validationOptions: { noValidate: true } });
  /** Failed attempts of each run's current root turn (the state machine retries them; reported as retries). */
  private readonly rootFailures = new Map<string, number>();
  private readonly handlers: Record<string, (input: unknown) => Promise<unknown>>;
  private readonly retryDelayOverrideMs?: number;
  /** In-flight task handler calls (a cancelled run waits for them to settle). */
  private readonly inflight = new Set<Promise<unknown>>();

  private constructor(
    deps: Omit<EngineDeps, 'events'>, options: LocalEngineOptions, stateDir: string,
    private readonly cancelling: AbortController, private readonly sandbox: CancellableSandbox,
    private readonly runIds: Set<string>, private readonly pyodide?: PyodideSandbox,
  ) {
    this.stateDir = stateDir;
    const all = { ...deps, events: this.events };
    this.deps = options.wrapDeps ? options.wrapDeps(all) : all;
    this.retryDelayOverrideMs = options.retryDelayOverrideMs;
    const settings = { runDefaults: options.runDefaults ?? {} };
    this.handlers = {
      [TASK_STATES.startRun]: this.tracked(createStartRunHandler(this.deps, settings)),
      [TASK_STATES.rootTurn]: this.tracked(this.reportingRootRetries(createRootTurnHandler(this.deps))),
      [TASK_STATES.finalizeRun]: this.tracked(createFinalizeRunHandler(this.deps)),
      [TASK_STATES.recordFailure]: this.tracked(createRecordFailureHandler(this.deps)),
    };
  }

  /** Build the adapters (nothing to start: the store is files under the state dir). */
  static async start(options: LocalEngineOptions): Promise<LocalEngine> {
    const stateDir = path.resolve(options.stateDir ?? '.rlm');
    const documents = new LocalDocumentStore({ artifactsDir: path.join(stateDir, STATE_LAYOUT.results) });
    const cancelling = new AbortController();
    if (options.signal?.aborted) cancelling.abort(options.signal.reason);
    options.signal?.addEventListener('abort', () => cancelling.abort(options.signal?.reason), { once: true });
    // Sub-calls are retried here (root calls by the state machine's Retry); every call hears the cancel.
    const runIds = new Set<string>();
    const progress = options.progress;
    const model = new CancellableModel(new RetryingModel(options.model, {
      // A sub-call does not carry its run ID here; with one run in flight (rlm run) it is that run's.
      onRetry: (info) => progress?.retrying?.({ runId: runIds.size === 1 ? [...runIds][0] : '', ...info }),
    }), cancelling.signal);
    const { snapshotDir, ...warm } = options.pyodide ?? {};
    const pyodide = options.sandbox ? undefined : new PyodideSandbox({
      documents, subModel: model, ...warm, ...(snapshotDir === null ? {} : { snapshotDir: snapshotDir ?? defaultSnapshotDir() }),
    });
    const sandbox = new CancellableSandbox(options.sandbox ?? pyodide!, cancelling.signal);
    const deps = {
      store: options.store ?? new FileConversationStore({ dir: path.join(stateDir, STATE_LAYOUT.runs) }),
      sandbox,
      model,
      documents,
      logger: options.logger ?? silentLogger,
      metrics: noMetrics,
      ...(options.prices ? { prices: options.prices } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
    };
    return new LocalEngine(deps, options, stateDir, cancelling, sandbox, runIds, pyodide);
  }

  /** Wrap a task handler so a cancel can wait for its in-flight calls. */
  private tracked(fn: (input: unknown) => Promise<unknown>): (input: unknown) => Promise<unknown> {
    return (input: unknown) => {
      const p = fn(input);
      this.inflight.add(p);
      const done = () => { this.inflight.delete(p); };
      p.then(done, done);
      return p;
    };
  }

  /**
   * Root turns are retried by the definition's Retry, invisibly: tell `progress.retrying` about each
   * retryable failure (delay: the upper bound of the state machine's full-jitter wait, or the override).
   */
  private reportingRootRetries(fn: (input: unknown) => Promise<unknown>): (input: unknown) => Promise<unknown> {
    const retry = ((this.definition.States as Record<string, { Retry?: Array<Record<string, number>> }>)[TASK_STATES.rootTurn]?.Retry ?? [])[0];
    return async (input: unknown) => {
      const runId = String((input as { runId?: unknown } | null)?.runId ?? '');
      try {
        const out = await fn(input);
        this.rootFailures.delete(runId);
        return out;
      } catch (err) {
        const attempt = (this.rootFailures.get(runId) ?? 0) + 1;
        this.rootFailures.set(runId, attempt);
        const maxAttempts = retry?.MaxAttempts ?? 0;
        if (retry && isRetryableModelError(err) && attempt <= maxAttempts && !this.cancelled) {
          const capMs = Math.min(retry.MaxDelaySeconds ?? Infinity, retry.IntervalSeconds * retry.BackoffRate ** (attempt - 1)) * 1000;
          this.deps.progress?.retrying?.({ runId, role: 'root', attempt, maxAttempts, delayMs: this.retryDelayOverrideMs ?? capMs, error: (err as Error).name });
        }
        throw err;
      }
    };
  }

  /** True once {@link cancel} was called (or the `signal` option fired). */
  get cancelled(): boolean {
    return this.cancelling.signal.aborted;
  }

  /** Cancel every run of this engine; each `run()` then resolves with a `cancelled` summary. Idempotent. */
  cancel(reason = 'cancelled'): void {
    if (!this.cancelling.signal.aborted) this.cancelling.abort(cancellationOf(AbortSignal.abort(reason)));
  }

  /** Run one request through the state machine; resolves with the summary whether it succeeded or failed. */
  async run(request: StartRunRequest, opts: { runId?: string } = {}): Promise<RunSummary> {
    const runId = opts.runId ?? newRunId();
    const started = Date.now();
    if (this.cancelled) return this.cancelledSummary(runId, 0);
    this.runIds.add(runId);
    const execution = this.machine.run(request as never, {
      overrides: {
        taskResourceLocalHandlers: this.handlers as never,
        ...(this.retryDelayOverrideMs === undefined ? {} : {
          retryIntervalOverrides: Object.fromEntries(Object.keys(this.handlers).map((k) => [k, this.retryDelayOverrideMs as number])),
        }),
      },
      context: { Execution: { Name: runId, Input: request, StartTime: new Date(started).toISOString() } } as never,
    });
    let executionError: { name: string; message: string } | undefined;
    const abortExecution = () => execution.abort();
    this.cancelling.signal.addEventListener('abort', abortExecution, { once: true });
    try {
      await execution.result;
    } catch (err) {
      executionError = describeError(err);
    } finally {
      this.cancelling.signal.removeEventListener('abort', abortExecution);
    }
    if (this.cancelled) return this.recordCancelled(runId, started);
    const elapsedMs = Date.now() - started;
    let run;
    try {
      run = await loadRun(this.deps, runId);
    } catch {
      return {
        runId, status: 'failed', answer: null, stopReason: 'error', iterations: 0, costUsd: 0, elapsedMs,
        usage: usageOf(zeroTotals()),
        error: executionError ?? { name: 'Error', message: 'the run left no record' },
      };
    }
    const summary = await this.summary(runId, run, { elapsedMs });
    if (!summary.error && run.status === 'failed' && executionError) summary.error = executionError;
    return summary;
  }

  /**
   * A cancelled run: stop its sandbox sessions (interrupting the cell), let the in-flight task settle
   * (its model calls were aborted), then record it `cancelled` with its turns and write its artifacts.
   */
  private async recordCancelled(runId: string, started: number): Promise<RunSummary> {
    const reason = cancellationOf(this.cancelling.signal).message;
    await this.sandbox.stopRun(runId);
    const settle = Promise.allSettled([...this.inflight]);
    await Promise.race([settle, new Promise((resolve) => setTimeout(resolve, CANCEL_SETTLE_MS).unref())]);
    await this.sandbox.stopRun(runId);
    const elapsedMs = Date.now() - started;
    const { summary } = await cancelRun(this.deps, runId, reason);
    if (summary) return { ...summary, elapsedMs, trajectoryPath: path.join(this.stateDir, STATE_LAYOUT.results, runId, RUN_ARTIFACT_FILES.trajectory) };
    return this.cancelledSummary(runId, elapsedMs);
  }

  /** The summary of a cancelled run that left no record (cancelled before or during StartRun). */
  private cancelledSummary(runId: string, elapsedMs: number): RunSummary {
    return {
      runId, status: 'cancelled', answer: null, stopReason: 'cancelled', stopDetail: cancellationOf(this.cancelling.signal).message,
      iterations: 0, costUsd: 0, elapsedMs, usage: usageOf(zeroTotals()),
    };
  }

  private async summary(runId: string, run: Awaited<ReturnType<typeof loadRun>>, extra: { elapsedMs?: number } = {}): Promise<RunSummary> {
    const turns = await loadTurns(this.deps, runId);
    const trajectoryPath = path.join(this.stateDir, STATE_LAYOUT.results, runId, RUN_ARTIFACT_FILES.trajectory);
    return summarize(run, turns, this.deps.prices, { ...extra, trajectoryPath });
  }

  /**
   * Continue a killed, failed or cancelled run from its last recorded step, under the same run ID: a new
   * execution whose StartRun finds the run and whose RootTurn replays the recorded steps (a fresh sandbox
   * with the documents reloaded; the model is told, as for a lost session). Resolves like `run`. A run that
   * succeeded resolves with its summary; one with no run item yet starts from `startRequest` when given.
   */
  async resume(runId: string, startRequest?: StartRunRequest): Promise<RunSummary> {
    let existing;
    try {
      existing = await loadRun(this.deps, runId);
    } catch (err) {
      // Killed before its run item was written: nothing was recorded, so it starts from the beginning.
      if (!(err instanceof RunNotFoundError) || !startRequest) throw err;
      return this.run(startRequest, { runId });
    }
    if (existing.status === 'succeeded') return this.summary(runId, existing); // already done: the same result again
    if (this.cancelled) return this.cancelledSummary(runId, 0);
    const { request } = await prepareResume(this.deps, runId);
    return this.run(request, { runId });
  }

  /** Stop the sandbox sessions of this engine's runs (finalize normally has) and its warm spares. */
  async close(): Promise<void> {
    for (const runId of this.runIds) {
      const run = await this.deps.store.getRun(runId).catch(() => undefined);
      if (run?.sandboxSessionId) await this.deps.sandbox.stop(run.sandboxSessionId).catch(() => undefined);
    }
    await this.pyodide?.closeAll();
    if (this.cancelled) stopSnapshotMakers(); // a cancelled CLI leaves no process behind
  }
}
