/**
 * Scheduled batches: a STANDARD state machine (JSONPath) that takes each `batches/pending/*.jsonl` in
 * turn, prepares its items, runs them as child executions of the run state machine in a Distributed
 * Map (`startExecution.sync:2`, bounded by MaxConcurrency, failures tolerated and recorded per item),
 * then writes `batches/results/<batchId>/results.jsonl` + `summary.json` and moves the manifest to
 * `batches/processed/`. EventBridge Scheduler starts it on `schedule` (optional); it can be started
 * by hand with any input.
 *
 *   CheckNoOtherBatch -> (another batch RUNNING? -> AnotherBatchIsRunning)
 *   Init -> ListPending -> next? -> PrepareBatch -> RunItems (Distributed Map) -> SummarizeBatch -> Count -> ListPending
 *                                `-> Done
 *
 * State between steps: `{processed, next, pending, batch: {batchId, keys, counts}}`; each map item
 * writes its outcome to `batches/work/<batchId>/items/<index>.json` and returns only its index.
 */
import { Aws, Duration, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DEFAULT_MAX_MANIFESTS_PER_EXECUTION } from '../lambdas/core/batch/batch-steps';
import { TRIGGER_PREFIXES } from '../lambdas/core/batch/layout';
import { ConfigError } from '../lambdas/core/errors';
import { TRIGGER_ENV } from '../lambdas/handlers/batch-env';
import { stateMachineLogGroup } from './log-groups';
import { acknowledgePolicyWildcards } from './nag';
import type { PipelineConfig } from './pipeline-config';
import { grantTo, pipelineFunction } from './pipeline-function';

/** Props of `BatchRunner`. */
export interface BatchRunnerProps {
  readonly config: PipelineConfig;
  readonly bucket: s3.IBucket;
  /** The run state machine each item runs as a child execution of. */
  readonly runStateMachine: sfn.IStateMachine;
  /** EventBridge Scheduler expression (`cron(0 2 * * ? *)`, `rate(6 hours)`); default `config.schedule`; none: no schedule (start by hand). */
  readonly schedule?: string;
  /** IANA time zone of `schedule` (default UTC). */
  readonly scheduleTimeZone?: string;
  /** Items running at once (Distributed Map MaxConcurrency), 1-10000. Default `config.batchMaxConcurrency`. */
  readonly maxConcurrency?: number;
  /** Manifests per execution, 1-1000. Default `DEFAULT_MAX_MANIFESTS_PER_EXECUTION` (25). */
  readonly maxManifestsPerExecution?: number;
}

/** The batch state machine, its three Lambdas and the optional schedule. */
export class BatchRunner extends Construct {
  /** The batch state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** The schedule that starts it (absent without `schedule`). */
  readonly schedule?: scheduler.Schedule;
  /** ListPending, PrepareBatch, SummarizeBatch. */
  readonly functions: { listPending: nodejs.NodejsFunction; prepare: nodejs.NodejsFunction; summarize: nodejs.NodejsFunction };
  /** Execution history log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BatchRunnerProps) {
    super(scope, id);
    const { config, bucket, runStateMachine } = props;
    const maxConcurrency = props.maxConcurrency ?? config.batchMaxConcurrency;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10_000) {
      throw new ConfigError(`batchMaxConcurrency must be an integer from 1 to 10000, got ${JSON.stringify(maxConcurrency)}`);
    }
    const maxManifests = props.maxManifestsPerExecution ?? DEFAULT_MAX_MANIFESTS_PER_EXECUTION;
    if (!Number.isInteger(maxManifests) || maxManifests < 1 || maxManifests > 1000) {
      throw new ConfigError(`maxManifestsPerExecution must be an integer from 1 to 1000, got ${JSON.stringify(maxManifests)}`);
    }

    const environment = {
      [TRIGGER_ENV.bucketName]: bucket.bucketName,
      [TRIGGER_ENV.resultsPrefix]: TRIGGER_PREFIXES.results,
      [TRIGGER_ENV.maxManifests]: String(maxManifests),
    };
    const fn = (name: string, entry: string, description: string, timeoutSeconds: number, memorySize: number) =>
      pipelineFunction(this, name, { config, entry, description, timeout: Duration.seconds(timeoutSeconds), memorySize, environment });
    this.functions = {
      listPending: fn('ListPendingFunction', 'batch-list-pending.ts', 'rlm-pipeline batch: list pending manifests', 60, 256),
      prepare: fn('PrepareBatchFunction', 'batch-prepare.ts', 'rlm-pipeline batch: validate a manifest and write the map items', 300, 1024),
      summarize: fn('SummarizeBatchFunction', 'batch-summarize.ts', 'rlm-pipeline batch: results.jsonl, summary.json, move the manifest', 900, 1024),
    };
    this.grantFunctions(bucket);

    this.logGroup = stateMachineLogGroup(this, 'Logs', config);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(bucket, runStateMachine, maxConcurrency)),
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      comment: 'rlm-pipeline batches: each pending manifest, each item a child run, results and summary to S3',
    });
    this.grantStateMachine(bucket);

    const schedule = props.schedule ?? config.schedule;
    if (schedule) {
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        schedule: scheduler.ScheduleExpression.expression(schedule, props.scheduleTimeZone ? TimeZone.of(props.scheduleTimeZone) : undefined),
        description: 'rlm-pipeline: run the pending batch manifests',
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({
            trigger: 'schedule',
            scheduleArn: scheduler.ContextAttribute.scheduleArn,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
            scheduleExecutionId: scheduler.ContextAttribute.executionId,
            attemptNumber: scheduler.ContextAttribute.attemptNumber,
          }),
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        }),
      });
    }
  }

  private definition(bucket: s3.IBucket, runStateMachine: sfn.IStateMachine, maxConcurrency: number): sfn.IChainable {
    const invoke = (id: string, lambdaFunction: nodejs.NodejsFunction, payload: Record<string, unknown>, resultPath: string | undefined, comment: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction, comment, payload: sfn.TaskInput.fromObject(payload), payloadResponseOnly: true,
        ...(resultPath ? { resultPath } : {}),
        retryOnServiceExceptions: true,
      });

    const init = new sfn.Pass(this, 'Init', { comment: 'Start counting; the execution input (scheduler event or {}) is not needed.', parameters: { processed: 0 } });
    const list = invoke('ListPending', this.functions.listPending, { 'processed.$': '$.processed' }, undefined, 'The next batches/pending/*.jsonl, if any (and under the per-execution cap).');
    const prepare = invoke('PrepareBatch', this.functions.prepare, { 'manifestKey.$': '$.next' }, '$.batch', 'Validate every line; write items.json (valid) and invalid.json (reported as failed).');
    const summarize = invoke('SummarizeBatch', this.functions.summarize, { 'batch.$': '$.batch' }, '$.finished', 'results.jsonl and summary.json, then move the manifest to batches/processed/.');
    const count = new sfn.Pass(this, 'CountProcessed', { parameters: { 'processed.$': 'States.MathAdd($.processed, 1)' } });
    const done = new sfn.Succeed(this, 'Done', { comment: 'No pending manifest left (or the per-execution cap is reached).' });

    const startRun = new tasks.StepFunctionsStartExecution(this, 'StartRun', {
      comment: 'One child execution of the run state machine per item; execution name = the item run ID (re-runs get ExecutionAlreadyExists).',
      stateMachine: runStateMachine,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      name: sfn.JsonPath.stringAt('$.runId'),
      input: sfn.TaskInput.fromObject({
        question: sfn.JsonPath.stringAt('$.request.question'),
        documents: sfn.JsonPath.listAt('$.request.documents'),
        options: sfn.JsonPath.objectAt('$.request.options'),
        tags: sfn.JsonPath.objectAt('$.request.tags'),
      }),
      associateWithParent: true,
      resultSelector: { 'output.$': '$.Output', 'startDate.$': '$.StartDate', 'stopDate.$': '$.StopDate' },
      resultPath: '$.outcome',
    });
    startRun.addRetry({
      errors: ['StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException', 'StepFunctions.AWSStepFunctionsException'],
      interval: Duration.seconds(5), maxAttempts: 6, backoffRate: 2, maxDelay: Duration.minutes(2), jitterStrategy: sfn.JitterType.FULL,
    });
    const writeItem = new tasks.CallAwsService(this, 'WriteItemRecord', {
      comment: 'The outcome of this item (run output or the caught error) for SummarizeBatch.',
      service: 's3', action: 'putObject',
      parameters: {
        Bucket: bucket.bucketName,
        Key: sfn.JsonPath.format(`${TRIGGER_PREFIXES.batchWork}{}/items/{}.json`, sfn.JsonPath.stringAt('$.batchId'), sfn.JsonPath.stringAt('$.index')),
        Body: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.outcome')),
        ContentType: 'application/json',
      },
      iamResources: [bucket.arnForObjects(`${TRIGGER_PREFIXES.batchWork}*`)],
      resultPath: sfn.JsonPath.DISCARD,
      outputPath: '$.index',
    });
    writeItem.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(2), maxAttempts: 4, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL });
    startRun.addCatch(writeItem, { errors: ['States.ALL'], resultPath: '$.outcome' });

    const runItems = new sfn.DistributedMap(this, 'RunItems', {
      comment: 'Each valid item as a child run; a failed item never fails the batch (Catch per item, and 100% tolerated).',
      maxConcurrency,
      toleratedFailurePercentage: 100,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      label: 'BatchItems',
      itemReader: new sfn.S3JsonItemReader({ bucketNamePath: bucket.bucketName, key: sfn.JsonPath.stringAt('$.batch.itemsKey') }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    runItems.itemProcessor(startRun.next(writeItem));

    prepare.addCatch(list, { errors: ['BatchStateError'], resultPath: sfn.JsonPath.DISCARD });
    const loop = list.next(new sfn.Choice(this, 'AnyPending', { comment: 'Process the next pending manifest, or stop.' })
      .when(sfn.Condition.isPresent('$.next'), prepare.next(runItems).next(summarize).next(count).next(list))
      .otherwise(done));
    // Single flight: a scheduled start while a long batch still runs (or a start by hand) leaves at once.
    const guard = new sfn.CustomState(this, 'CheckNoOtherBatch', {
      stateJson: {
        Type: 'Task',
        Comment: 'Count RUNNING executions of this machine (this one included).',
        Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:sfn:listExecutions`,
        Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', StatusFilter: 'RUNNING', MaxResults: 2 },
        ResultSelector: { 'running.$': 'States.ArrayLength($.Executions)' },
        ResultPath: '$.guard',
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      },
    });
    const alreadyRunning = new sfn.Succeed(this, 'AnotherBatchIsRunning', { comment: 'It takes the pending manifests; nothing to do here.' });
    return guard.next(new sfn.Choice(this, 'OnlyBatchRunning')
      .when(sfn.Condition.numberGreaterThan('$.guard.running', 1), alreadyRunning)
      .otherwise(init.next(loop)));
  }

  private grantFunctions(bucket: s3.IBucket): void {
    const { listPending, prepare, summarize } = this.functions;
    const p = TRIGGER_PREFIXES;
    const objects = (...prefixes: string[]) => prefixes.map((x) => bucket.arnForObjects(`${x}*`));
    const list = (...prefixes: string[]) => new iam.PolicyStatement({
      sid: 'ListBatchPrefixes', actions: ['s3:ListBucket'], resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((x) => `${x}*`) } },
    });
    const reason = 'Batch IDs and run IDs are chosen per manifest, so the batches/... and results/ prefixes are the narrowest resources IAM can name.';
    grantTo(listPending, list(p.batchPending));
    grantTo(prepare, list(p.batchPending));
    grantTo(prepare, new iam.PolicyStatement({ sid: 'ReadManifests', actions: ['s3:GetObject'], resources: objects(p.batchPending) }), reason);
    grantTo(prepare, new iam.PolicyStatement({ sid: 'WriteWorkFiles', actions: ['s3:PutObject'], resources: objects(p.batchWork) }), reason);
    grantTo(summarize, list(p.batchWork, p.results));
    grantTo(summarize, new iam.PolicyStatement({
      sid: 'ReadWorkAndRunResults', actions: ['s3:GetObject'], resources: objects(p.batchWork, p.results, p.batchPending),
    }), reason);
    grantTo(summarize, new iam.PolicyStatement({
      sid: 'WriteResultsAndProcessed', actions: ['s3:PutObject'], resources: objects(p.batchResults, p.batchProcessed),
    }), reason);
    grantTo(summarize, new iam.PolicyStatement({ sid: 'RemovePendingManifest', actions: ['s3:DeleteObject'], resources: objects(p.batchPending) }), reason);
  }

  private grantStateMachine(bucket: s3.IBucket): void {
    // A separate policy: in the role's default policy, the machine's own ARN would make a dependency cycle.
    new iam.Policy(this, 'ListOwnExecutions', {
      roles: [this.stateMachine.role],
      statements: [new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [this.stateMachine.stateMachineArn] })],
    });
    const statement = new iam.PolicyStatement({
      sid: 'ReadMapItems', actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${TRIGGER_PREFIXES.batchWork}*`)],
    });
    this.stateMachine.addToRolePolicy(statement);
    // Acknowledge exactly the wildcard findings of the machine's policies.
    const reason = 'The Distributed Map reads and writes batches/work/<batchId>/... (batch IDs are per manifest); .sync child runs need '
      + 'their execution ARNs (<runMachine>:*) and the managed StepFunctionsGetEventsForStepFunctionsExecutionRule; the map starts and '
      + 'describes its own child executions; Lambda invoke grants cover function versions (<fn>:*); CloudWatch Logs delivery and X-Ray '
      + 'support no resource-level permissions.';
    for (const policy of this.stateMachine.node.findAll().filter((c): c is iam.Policy => c instanceof iam.Policy)) {
      acknowledgePolicyWildcards(policy, reason);
    }
  }
}
