/**
 * Builds the AWS adapters once per Lambda container (from the environment the stack sets) and wraps
 * each task handler with Powertools: log keys (run ID, turn), metrics flushed per invocation, tracing.
 */
import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import type { EngineDeps } from '../core/engine-deps';
import { describeError } from '../core/errors';
import { AgentCoreSandbox } from '../adapters/agentcore';
import { S3DocumentStore } from '../adapters/documents/s3-document-store';
import { DynamoConversationStore } from '../adapters/dynamodb';
import { bedrockRuntimeClientConfig, BedrockConverseModel, LONG_GENERATION_TIMEOUT_MS } from '../adapters/models/bedrock-model';
import { EventBridgePublisher } from '../adapters/ops/eventbridge-publisher';
import { createPowertools, loggerPort, metricsPort, type Powertools } from '../adapters/ops/powertools';
import { readLambdaEnv, type LambdaEnv } from './lambda-env';
import type { HandlerSettings, InvocationContext } from './task-handlers';

/** What a container keeps between invocations. */
export interface AwsRuntime {
  env: LambdaEnv;
  deps: EngineDeps;
  settings: HandlerSettings;
  powertools: Powertools;
}

let runtime: AwsRuntime | undefined;

/** The container's runtime, built on first use (cold start). */
export function awsRuntime(): AwsRuntime {
  if (runtime) return runtime;
  const env = readLambdaEnv();
  const powertools = createPowertools();
  const t = powertools.tracer;
  const region = env.region;
  const dynamo = t.captureAWSv3Client(new DynamoDBClient({ region }));
  const s3 = t.captureAWSv3Client(new S3Client({ region }));
  const deps: EngineDeps = {
    store: new DynamoConversationStore({ client: dynamo, tableName: env.tableName, ttlDays: env.runTtlDays }),
    sandbox: new AgentCoreSandbox({
      client: t.captureAWSv3Client(new BedrockAgentCoreClient({ region })),
      // InvokeCodeInterpreter is not idempotent: no SDK retries (the adapter retries only before any output).
      invokeClient: t.captureAWSv3Client(new BedrockAgentCoreClient({ region, maxAttempts: 1 })),
      codeInterpreterId: env.codeInterpreterId, region,
      // The cap: each run's session lives for its own wall-clock budget (its maxIterations), at most this.
      sessionTimeoutSeconds: env.sessionTimeoutSeconds,
    }),
    // Root calls may generate for minutes: no timeout on their path gives up before LONG_GENERATION_TIMEOUT_MS.
    model: new BedrockConverseModel({
      client: t.captureAWSv3Client(new BedrockRuntimeClient(bedrockRuntimeClientConfig({ region, timeoutMs: LONG_GENERATION_TIMEOUT_MS }))),
      timeoutMs: LONG_GENERATION_TIMEOUT_MS,
    }),
    documents: new S3DocumentStore({ client: s3, resultsBucket: env.bucketName, resultsPrefix: env.resultsPrefix }),
    events: new EventBridgePublisher(t.captureAWSv3Client(new EventBridgeClient({ region })), env.eventBusName),
    logger: loggerPort(powertools.logger),
    metrics: metricsPort(powertools.metrics),
  };
  const settings: HandlerSettings = {
    // Every run setting the stack passes (settings table rows with an env var).
    runDefaults: env.runDefaults,
    ttlDays: env.runTtlDays,
    allowedModels: { root: [env.rootModelId], sub: env.allowedSubModelIds },
    maxInputChars: env.maxInputChars,
  };
  runtime = { env, deps, settings, powertools };
  return runtime;
}

type TaskHandler = (event: unknown, context?: InvocationContext) => Promise<unknown>;

/** Wrap a task handler factory as a Lambda handler with Powertools around each invocation. */
export function lambdaEntry(task: string, make: (rt: AwsRuntime) => TaskHandler) {
  let bound: TaskHandler | undefined;
  return async (event: unknown, context?: InvocationContext & { awsRequestId?: string }): Promise<unknown> => {
    const rt = awsRuntime();
    bound ??= make(rt);
    const { logger, metrics, tracer } = rt.powertools;
    const e = (event ?? {}) as { runId?: unknown; iteration?: unknown; detail?: { name?: unknown } };
    // A task's input names the run; a status-change event names the execution, whose name is the run ID.
    const runId = typeof e.runId === 'string' ? e.runId : typeof e.detail?.name === 'string' ? e.detail.name : undefined;
    const keys = { task, runId, turn: typeof e.iteration === 'number' ? e.iteration + 1 : undefined };
    logger.appendKeys(keys);
    if (keys.runId) tracer.putAnnotation('runId', keys.runId);
    tracer.annotateColdStart();
    try {
      return await bound(event, context);
    } catch (err) {
      logger.error('task failed', { error: describeError(err) });
      throw err;
    } finally {
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
