/**
 * The local engine: the state machine definition from `lib/` executed by aws-local-stepfunctions,
 * with the same task handlers in-process over local parts: the durable on-disk conversation store
 * (`<stateDir>/runs`, written as each step happens), Pyodide, local files (`<stateDir>/results`).
 */
import './polyfills';
import { newRunId } from '../cli/run-id';
import * as path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { buildRunDefinition, localFunctionArns, substituteDefinition, TASK_STATES } from '../../lib/state-machine-definition';
import { usageOf, zeroTotals } from '../../lambdas/core/accounting';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { describeError, RunNotFoundError } from '../../lambdas/core/errors';
import { loadRun, loadTurns, prepareResume, summarize } from '../../lambdas/core/run';
import type { ConversationStore, EventPublisher, LanguageModel, Logger, ProgressListener, RunFinishedEvent, Sandbox } from '../../lambdas/core/ports';
import { noMetrics, silentLogger } from '../../lambdas/core/ports';
import type { PriceTable } from '../../lambdas/core/pricing';
import type { RunConfig, RunSummary, StartRunRequest } from '../../lambdas/core/types';
import { FileConversationStore } from '../../lambdas/adapters/local-store';
import { LocalDocumentStore } from '../../lambdas/adapters/documents';
import { PyodideSandbox } from '../../lambdas/adapters/pyodide/pyodide-sandbox';
import {
  createFinalizeRunHandler, createRecordFailureHandler, createRootTurnHandler, createStartRunHandler,
} from '../../lambdas/handlers/task-handlers';

/** Where, under the state dir, the conversation store and the artifacts live. */
export const STATE_LAYOUT = { runs: 'runs', results: 'results' } as const;

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
  /** Wrap the adapters before the handlers get them (fault injection, cancellation seams). */
  wrapDeps?: (deps: EngineDeps) => EngineDeps;
  runDefaults?: Partial<RunConfig>;
  prices?: PriceTable;
  logger?: Logger;
  progress?: ProgressListener;
  /** Override the definition's Retry backoff (milliseconds) on every task, e.g. 0 in tests. */
  retryDelayOverrideMs?: number;
}

/** Collects run-finished events (locally there is no EventBridge). */
class CollectingPublisher implements EventPublisher {
  readonly events: RunFinishedEvent[] = [];
  async runFinished(event: RunFinishedEvent): Promise<void> {
    this.events.push(event);
  }
}

/** One machine's RLM pipeline: start once, run many times (concurrently too), close. */
export class LocalEngine {
  readonly stateDir: string;
  readonly deps: EngineDeps;
  readonly events = new CollectingPublisher();
  private readonly machine = new StateMachine(substituteDefinition(buildRunDefinition(), localFunctionArns()) as never);
  private readonly handlers: Record<string, (input: unknown) => Promise<unknown>>;
  private readonly runIds = new Set<string>();
  private readonly retryDelayOverrideMs?: number;

  private constructor(deps: Omit<EngineDeps, 'events'>, options: LocalEngineOptions, stateDir: string) {
    this.stateDir = stateDir;
    const all = { ...deps, events: this.events };
    this.deps = options.wrapDeps ? options.wrapDeps(all) : all;
    this.retryDelayOverrideMs = options.retryDelayOverrideMs;
    const settings = { runDefaults: options.runDefaults ?? {} };
    this.handlers = {
      [TASK_STATES.startRun]: createStartRunHandler(this.deps, settings),
      [TASK_STATES.rootTurn]: createRootTurnHandler(this.deps),
      [TASK_STATES.finalizeRun]: createFinalizeRunHandler(this.deps),
      [TASK_STATES.recordFailure]: createRecordFailureHandler(this.deps),
    };
  }

  /** Build the adapters (nothing to start: the store is files under the state dir). */
  static async start(options: LocalEngineOptions): Promise<LocalEngine> {
    const stateDir = path.resolve(options.stateDir ?? '.rlm');
    const documents = new LocalDocumentStore({ artifactsDir: path.join(stateDir, STATE_LAYOUT.results) });
    const deps = {
      store: options.store ?? new FileConversationStore({ dir: path.join(stateDir, STATE_LAYOUT.runs) }),
      sandbox: options.sandbox ?? new PyodideSandbox({ documents, subModel: options.model }),
      model: options.model,
      documents,
      logger: options.logger ?? silentLogger,
      metrics: noMetrics,
      ...(options.prices ? { prices: options.prices } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
    };
    return new LocalEngine(deps, options, stateDir);
  }

  /** Run one request through the state machine; resolves with the summary whether it succeeded or failed. */
  async run(request: StartRunRequest, opts: { runId?: string } = {}): Promise<RunSummary> {
    const runId = opts.runId ?? newRunId();
    this.runIds.add(runId);
    const started = Date.now();
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
    try {
      await execution.result;
    } catch (err) {
      executionError = describeError(err);
    }
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

  private async summary(runId: string, run: Awaited<ReturnType<typeof loadRun>>, extra: { elapsedMs?: number } = {}): Promise<RunSummary> {
    const turns = await loadTurns(this.deps, runId);
    const trajectoryPath = path.join(this.stateDir, STATE_LAYOUT.results, runId, 'trajectory.json');
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
    const { request } = await prepareResume(this.deps, runId);
    return this.run(request, { runId });
  }

  /** Stop the sandbox sessions of this engine's runs (finalize normally has). */
  async close(): Promise<void> {
    for (const runId of this.runIds) {
      const run = await this.deps.store.getRun(runId).catch(() => undefined);
      if (run?.sandboxSessionId) await this.deps.sandbox.stop(run.sandboxSessionId).catch(() => undefined);
    }
  }
}
