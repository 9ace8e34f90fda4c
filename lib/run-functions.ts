/**
 * The four Lambdas of the state machine, each with its own role granted exactly what its task does:
 *
 * | function       | DynamoDB                      | S3                                        | AgentCore (this interpreter) | other |
 * |----------------|-------------------------------|-------------------------------------------|------------------------------|-------|
 * | start-run      | Get, Put                      | List/Get(Head) `documents/`, `inbox/`     | Start, Invoke, Get, Stop     | —     |
 * | root-turn      | Get, Query, Put, Update       | Put `results/*`                           | Start, Invoke, Get, Stop     | InvokeModel on the root model only |
 * | finalize-run   | Get, Query, Update            | Put `results/*`                           | Stop                         | PutEvents (source `rlm-pipeline`) |
 * | record-failure | Get, Query, Put, Update       | Put `results/*`                           | Stop                         | PutEvents (source `rlm-pipeline`) |
 *
 * (Derived from the store/sandbox/document calls in `lambdas/core/run-lifecycle.ts` and `turn-step.ts`;
 * start-run needs Stop because it closes the session it started when the run already exists.)
 *
 * Bundling: esbuild, minified with `keepNames` (error classes set `name` from the class, and Step
 * Functions Retry/Catch match on it), source maps, and the AWS SDK v3 BUNDLED rather than taken from
 * the runtime: the handlers then run the exact client versions the tests ran (package-lock), including
 * the young `@aws-sdk/client-bedrock-agentcore`, whose runtime copy may lag. Costs ~1-2 MB of bundle
 * and some cold-start time, small next to a root-model turn.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../lambdas/core/run-events';
import { RESOURCE_ENV, settingEnvironment } from '../lambdas/handlers/lambda-env';
import { CODE_INTERPRETER_ACTIONS, type SandboxCodeInterpreter } from './code-interpreter';
import { bedrockInvokeStatements } from './model-arns';
import { NAG_REASONS } from './nag';
import { ROOT_TURN_TIMEOUT_SECONDS, type PipelineConfig } from './pipeline-config';
import { grantTo, pipelineFunction } from './pipeline-function';
import { READABLE_DOCUMENT_PREFIXES, S3_PREFIXES } from './storage';

export { LAMBDA_BUNDLING, POWERTOOLS_ENV } from './pipeline-function';

/** The four task functions, keyed like `FUNCTION_ARN_SUBSTITUTIONS`. */
export type RunFunctionKey = 'startRun' | 'rootTurn' | 'finalizeRun' | 'recordFailure';

interface FunctionSpec {
  entry: string;
  timeoutSeconds: number;
  memoryMb: number;
  description: string;
}

/** Entry file, timeout and memory of each function. */
export const RUN_FUNCTION_SPECS: Record<RunFunctionKey, FunctionSpec> = {
  startRun: { entry: 'start-run.ts', timeoutSeconds: 600, memoryMb: 1024, description: 'rlm-pipeline StartRun: validate, create the run, start the sandbox, load documents' },
  rootTurn: { entry: 'root-turn.ts', timeoutSeconds: ROOT_TURN_TIMEOUT_SECONDS, memoryMb: 1024, description: 'rlm-pipeline RootTurn: one root-model turn and the cells it runs' },
  // Finalize and RecordFailure read every turn (spilled bodies included) and write the trajectory: sized so a
  // large run never leaves its item `running` for lack of memory or time.
  finalizeRun: { entry: 'finalize-run.ts', timeoutSeconds: 300, memoryMb: 1024, description: 'rlm-pipeline FinalizeRun: stop the sandbox, write the result, publish the event' },
  recordFailure: { entry: 'record-failure.ts', timeoutSeconds: 300, memoryMb: 1024, description: 'rlm-pipeline RecordFailure: stop the sandbox, mark the run failed, publish the event' },
};

/** DynamoDB actions of each function. */
export const TABLE_ACTIONS: Record<RunFunctionKey, string[]> = {
  startRun: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  rootTurn: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  finalizeRun: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  recordFailure: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
};

/** Props of `RunFunctions`. */
export interface RunFunctionsProps {
  readonly config: PipelineConfig;
  readonly bucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly codeInterpreter: SandboxCodeInterpreter;
  readonly eventBus: events.IEventBus;
}

/** The four task Lambdas with their log groups and roles. */
export class RunFunctions extends Construct {
  /** The functions by task. */
  readonly functions: Record<RunFunctionKey, nodejs.NodejsFunction>;
  /** Their log groups. */
  readonly logGroups: Record<RunFunctionKey, logs.ILogGroup>;

  constructor(scope: Construct, id: string, props: RunFunctionsProps) {
    super(scope, id);
    const { config, bucket, table, codeInterpreter, eventBus } = props;
    const environment = lambdaEnvironment(props);
    const functions = {} as Record<RunFunctionKey, nodejs.NodejsFunction>;
    const logGroups = {} as Record<RunFunctionKey, logs.ILogGroup>;

    for (const key of Object.keys(RUN_FUNCTION_SPECS) as RunFunctionKey[]) {
      const spec = RUN_FUNCTION_SPECS[key];
      const name = key[0].toUpperCase() + key.slice(1);
      functions[key] = pipelineFunction(this, name, {
        config, entry: spec.entry, description: spec.description, timeout: Duration.seconds(spec.timeoutSeconds), memorySize: spec.memoryMb,
        environment,
        roleStatements: [new iam.PolicyStatement({ sid: 'ConversationTable', actions: TABLE_ACTIONS[key], resources: [table.tableArn] })],
      });
      logGroups[key] = functions[key].logGroup;
    }

    const grant = (key: RunFunctionKey, statement: iam.PolicyStatement, wildcardReason?: string) => grantTo(functions[key], statement, wildcardReason);

    // start-run reads the documents it loads into the sandbox.
    grant('startRun', new iam.PolicyStatement({
      sid: 'ReadDocuments', actions: ['s3:GetObject'], resources: READABLE_DOCUMENT_PREFIXES.map((p) => bucket.arnForObjects(`${p}*`)),
    }), NAG_REASONS.documentPrefixes);
    grant('startRun', new iam.PolicyStatement({
      sid: 'ListDocuments', actions: ['s3:ListBucket'], resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': READABLE_DOCUMENT_PREFIXES.map((p) => `${p}*`) } },
    }));

    const { start, invoke, get, stop, list } = CODE_INTERPRETER_ACTIONS;
    codeInterpreter.grantSessionActions(functions.startRun, start, invoke, get, stop, list);
    codeInterpreter.grantSessionActions(functions.rootTurn, start, invoke, get, stop, list);
    codeInterpreter.grantSessionActions(functions.finalizeRun, stop);
    codeInterpreter.grantSessionActions(functions.recordFailure, stop);

    const rootInvoke = bedrockInvokeStatements(this, [config.rootModelId]);
    grant('rootTurn', rootInvoke.direct);
    if (rootInvoke.viaProfile) grant('rootTurn', rootInvoke.viaProfile, NAG_REASONS.crossRegionModel);

    // Artifacts: results, and what core spills there (large outputs, answers, turn bodies, document lists),
    // which the later tasks read back.
    for (const key of ['startRun', 'rootTurn', 'finalizeRun', 'recordFailure'] as const) grant(key, writeResultsStatement(bucket), NAG_REASONS.resultsPrefix);
    for (const key of ['rootTurn', 'finalizeRun', 'recordFailure'] as const) grant(key, readResultsStatement(bucket), NAG_REASONS.resultsPrefix);
    for (const key of ['finalizeRun', 'recordFailure'] as const) grant(key, publishRunEventsStatement(eventBus));
    this.functions = functions;
    this.logGroups = logGroups;
  }
}

/**
 * The `LAMBDA_ENV` contract of every task function (`pipelineFunction` adds Powertools and source maps): where the
 * resources are, and every setting of the table that has an environment variable, from the pipeline config.
 */
export function lambdaEnvironment(props: RunFunctionsProps): Record<string, string> {
  const { config } = props;
  return {
    [RESOURCE_ENV.tableName]: props.table.tableName,
    [RESOURCE_ENV.bucketName]: props.bucket.bucketName,
    [RESOURCE_ENV.resultsPrefix]: S3_PREFIXES.results,
    [RESOURCE_ENV.codeInterpreterId]: props.codeInterpreter.codeInterpreterId,
    [RESOURCE_ENV.allowedSubModelIds]: config.subModelIds.join(','),
    [RESOURCE_ENV.eventBusName]: props.eventBus.eventBusName,
    // The stack takes a list of sub models; the first is the default.
    ...settingEnvironment({ ...config, subModelId: config.subModelIds[0] }),
  };
}

/** `s3:PutObject` on `results/*`: result.json, trajectory.json and what core spills. */
export function writeResultsStatement(bucket: s3.IBucket): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: 'WriteResults', actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${S3_PREFIXES.results}*`)] });
}

/** `s3:GetObject` on `results/*`: spilled outputs, answers and turn bodies read back. */
export function readResultsStatement(bucket: s3.IBucket): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: 'ReadSpilledResults', actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${S3_PREFIXES.results}*`)] });
}

/** `events:PutEvents` on `eventBus`, only with the run events' source and detail types. */
export function publishRunEventsStatement(eventBus: events.IEventBus): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'PublishRunEvents', actions: ['events:PutEvents'], resources: [eventBus.eventBusArn],
    conditions: { StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': Object.values(EVENT_DETAIL_TYPES) } },
  });
}
