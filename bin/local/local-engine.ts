/**
 * The local engine: the state machine definition from `lib/` executed by aws-local-stepfunctions,
 * with the same task handlers in-process over embedded parts (dynalite, Pyodide, local files).
 */
import './polyfills';
import { newRunId } from '../cli/run-id';
import * as path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { buildRunDefinition, localFunctionArns, substituteDefinition, TASK_STATES } from '../../lib/state-machine-definition';
import { usageOf, zeroTotals } from '../../lambdas/core/accounting';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { describeError } from '../../lambdas/core/errors';
import { summarize } from '../../lambdas/core/run-lifecycle';
import type { EventPublisher, LanguageModel, Logger, ProgressListener, RunFinishedEvent } from '../../lambdas/core/ports';
import { noMetrics, silentLogger } from '../../lambdas/core/ports';
import type { PriceTable } from '../../lambdas/core/pricing';
import type { RunConfig, RunSummary, StartRunRequest } from '../../lambdas/core/types';
import { DynamoConversationStore } from '../../lambdas/adapters/dynamodb';
import { createConversationTable, startDynalite, type EmbeddedDynalite } from '../../lambdas/adapters/dynamodb/embedded-dynalite';
import { LocalDocumentStore } from '../../lambdas/adapters/documents';
import { PyodideSandbox } from '../../lambdas/adapters/pyodide/pyodide-sandbox';
import {
  createFinalizeRunHandler, createRecordFailureHandler, createRootTurnHandler, createStartRunHandler,
} from '../../lambdas/handlers/task-handlers';

/** Table name used by the embedded store. */
export const LOCAL_TABLE_NAME = 'rlm-local';

/** Options of the local engine. */
export interface LocalEngineOptions {
  /** Serves the root model and the sandbox's sub-calls. */
  model: LanguageModel;
  /** Where results, trajectories and (with `persist`) the database live. Default `.rlm`. */
  stateDir?: string;
  /** Keep the embedded DynamoDB on disk under `stateDir/db` instead of in memory. */
  persist?: boolean;
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

  private constructor(private readonly db: EmbeddedDynalite, deps: Omit<EngineDeps, 'events'>, options: LocalEngineOptions, stateDir: string) {
    this.stateDir = stateDir;
    this.deps = { ...deps, events: this.events };
    this.retryDelayOverrideMs = options.retryDelayOverrideMs;
    const settings = { runDefaults: options.runDefaults ?? {} };
    this.handlers = {
      [TASK_STATES.startRun]: createStartRunHandler(this.deps, settings),
      [TASK_STATES.rootTurn]: createRootTurnHandler(this.deps),
      [TASK_STATES.finalizeRun]: createFinalizeRunHandler(this.deps),
      [TASK_STATES.recordFailure]: createRecordFailureHandler(this.deps),
    };
  }

  /** Start the embedded database and build the adapters. */
  static async start(options: LocalEngineOptions): Promise<LocalEngine> {
    const stateDir = path.resolve(options.stateDir ?? '.rlm');
    const db = await startDynalite(options.persist ? { path: path.join(stateDir, 'db') } : {});
    await createConversationTable(db.client, LOCAL_TABLE_NAME);
    const documents = new LocalDocumentStore({ artifactsDir: path.join(stateDir, 'results') });
    const deps = {
      store: new DynamoConversationStore({ client: db.client, tableName: LOCAL_TABLE_NAME }),
      sandbox: new PyodideSandbox({ documents, subModel: options.model }),
      model: options.model,
      documents,
      logger: options.logger ?? silentLogger,
      metrics: noMetrics,
      ...(options.prices ? { prices: options.prices } : {}),
      ...(options.progress ? { progress: options.progress } : {}),
    };
    return new LocalEngine(db, deps, options, stateDir);
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
      run = await this.deps.store.getRun(runId);
    } catch {
      return {
        runId, status: 'failed', answer: null, stopReason: 'error', iterations: 0, costUsd: 0, elapsedMs,
        usage: usageOf(zeroTotals()),
        error: executionError ?? { name: 'Error', message: 'the run left no record' },
      };
    }
    const turns = await this.deps.store.listTurns(runId);
    const trajectoryPath = path.join(this.stateDir, 'results', runId, 'trajectory.json');
    const summary = summarize(run, turns, this.deps.prices, { elapsedMs, trajectoryPath });
    if (!summary.error && run.status === 'failed' && executionError) summary.error = executionError;
    return summary;
  }

  /** Stop the sandbox sessions of this engine's runs (finalize normally has) and the database. */
  async close(): Promise<void> {
    for (const runId of this.runIds) {
      const run = await this.deps.store.getRun(runId).catch(() => undefined);
      if (run?.sandboxSessionId) await this.deps.sandbox.stop(run.sandboxSessionId).catch(() => undefined);
    }
    await this.db.close();
  }
}
