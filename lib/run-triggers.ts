/**
 * Runs that start themselves from S3 uploads: an EventBridge rule on the pipeline bucket's Object
 * Created events (the bucket has `eventBridgeEnabled`) for `jobs/*.json` and `inbox/...` targets the
 * trigger Lambda (`lambdas/handlers/s3-trigger.ts`), which starts executions of the run state machine.
 *
 * | principal       | may                                                                              |
 * |-----------------|----------------------------------------------------------------------------------|
 * | trigger Lambda  | GetObject `jobs/*`, `inbox/*`; GetObjectVersion `jobs/*`; PutObject `jobs/*.error.json`; StartExecution of the run machine only |
 *
 * Nothing is lost on failure: the rule retries delivery and the Lambda retries asynchronous invocations;
 * what still fails lands in one SQS dead-letter queue (the original event, for redrive).
 */
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_ERROR_SUFFIX, TRIGGER_PREFIXES } from '../lambdas/core/batch/layout';
import { serializeWatchProfiles, type WatchProfiles } from '../lambdas/core/batch/watch-profiles';
import { TRIGGER_ENV } from '../lambdas/handlers/batch-env';
import { pipelineLogGroup } from './log-groups';
import { acknowledge, acknowledgePinnedRuntime, acknowledgeWildcards, acknowledgeXRay } from './nag';
import type { PipelineConfig } from './pipeline-config';
import { LAMBDA_BUNDLING, POWERTOOLS_ENV } from './run-functions';

/** Object keys the rule forwards: job manifests and watch-folder documents. */
export const TRIGGER_KEY_PATTERNS = { jobs: `${TRIGGER_PREFIXES.jobs}*.json`, inbox: TRIGGER_PREFIXES.inbox } as const;

/** Options of one trigger/batch Lambda. */
export interface TriggerFunctionOptions {
  readonly config: PipelineConfig;
  /** Entry file under `lambdas/handlers/`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  readonly deadLetterQueue?: sqs.IQueue;
}

/** A Lambda with its own role (logs and X-Ray only; callers add grants) and log group, like the run functions. */
export function triggerFunction(scope: Construct, id: string, options: TriggerFunctionOptions): nodejs.NodejsFunction {
  const logGroup = pipelineLogGroup(scope, `${id}Logs`, options.config);
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `rlm-pipeline ${options.entry.replace('.ts', '')} Lambda`,
  });
  role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  const fn = new nodejs.NodejsFunction(scope, id, {
    entry: path.join(__dirname, '..', 'lambdas', 'handlers', options.entry),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: options.memorySize,
    timeout: options.timeout,
    description: options.description,
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    environment: { ...options.environment, ...POWERTOOLS_ENV, NODE_OPTIONS: '--enable-source-maps' },
    bundling: LAMBDA_BUNDLING,
    ...(options.deadLetterQueue ? { deadLetterQueue: options.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(6) } : {}),
  });
  acknowledgeXRay(role);
  acknowledgePinnedRuntime(fn);
  return fn;
}

/** Grant `statement` to `fn`'s role, acknowledging its prefix wildcards with `reason`. */
export function grantTo(fn: lambda.IFunction, statement: iam.PolicyStatement, reason?: string): void {
  fn.role!.addToPrincipalPolicy(statement);
  if (reason) acknowledgeWildcards(fn.role!, statement, reason);
}

/** Props of `RunTriggers`. */
export interface RunTriggersProps {
  readonly config: PipelineConfig;
  /** The pipeline bucket (must have `eventBridgeEnabled`). */
  readonly bucket: s3.IBucket;
  /** The run state machine: the only one the trigger may start. */
  readonly runStateMachine: sfn.IStateMachine;
  /**
   * Watch folders: profile (folder under `inbox/`) -> standing questions and options. Validated at synth;
   * at most 3,072 bytes as JSON (Lambda environment variables share 4 KB).
   */
  readonly watchProfiles?: WatchProfiles;
}

/** The S3 upload triggers: rule, trigger Lambda, dead-letter queue. */
export class RunTriggers extends Construct {
  /** The trigger Lambda. */
  readonly function: nodejs.NodejsFunction;
  /** The EventBridge rule on Object Created under `jobs/` and `inbox/`. */
  readonly rule: events.Rule;
  /** Events that could not be delivered or handled after retries. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: RunTriggersProps) {
    super(scope, id);
    const { config, bucket, runStateMachine } = props;
    const watchProfilesJson = serializeWatchProfiles(props.watchProfiles ?? {});

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the trigger rule and Lambda; a DLQ of the DLQ would only move the finding.');

    this.function = triggerFunction(this, 'Function', {
      config,
      entry: 's3-trigger.ts',
      description: 'rlm-pipeline S3 trigger: job manifests under jobs/ and watch folders under inbox/ start runs',
      timeout: Duration.seconds(60),
      memorySize: 256,
      deadLetterQueue: this.deadLetterQueue,
      environment: {
        [TRIGGER_ENV.bucketName]: bucket.bucketName,
        [TRIGGER_ENV.runStateMachineArn]: runStateMachine.stateMachineArn,
        [TRIGGER_ENV.watchProfiles]: watchProfilesJson,
      },
    });

    const reason = 'The trigger reads whichever manifest or inbox document was uploaded, so the key prefix is the narrowest resource IAM can name.';
    grantTo(this.function, new iam.PolicyStatement({
      sid: 'ReadTriggerObjects', actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects(`${TRIGGER_PREFIXES.jobs}*`), bucket.arnForObjects(`${TRIGGER_PREFIXES.inbox}*`)],
    }), reason);
    // The manifest is read at the version the event names (GetObject with VersionId needs GetObjectVersion).
    grantTo(this.function, new iam.PolicyStatement({
      sid: 'ReadManifestVersions', actions: ['s3:GetObjectVersion'], resources: [bucket.arnForObjects(`${TRIGGER_PREFIXES.jobs}*`)],
    }), reason);
    grantTo(this.function, new iam.PolicyStatement({
      sid: 'WriteJobFailureRecords', actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${TRIGGER_PREFIXES.jobs}*${JOB_ERROR_SUFFIX}`)],
    }), 'Failure records are written next to whichever job manifest failed (jobs/<name>.error.json); the pattern is the narrowest resource IAM can name.');
    grantTo(this.function, new iam.PolicyStatement({
      sid: 'StartRuns', actions: ['states:StartExecution'], resources: [runStateMachine.stateMachineArn],
    }));

    this.rule = new events.Rule(this, 'ObjectCreated', {
      description: 'rlm-pipeline: job manifests (jobs/*.json) and watch-folder documents (inbox/<profile>/...) start runs',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [bucket.bucketName] },
          object: { key: [...events.Match.wildcard(TRIGGER_KEY_PATTERNS.jobs), ...events.Match.prefix(TRIGGER_KEY_PATTERNS.inbox)] },
        },
      },
      targets: [new targets.LambdaFunction(this.function, {
        deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(2),
      })],
    });
  }
}
