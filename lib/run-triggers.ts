/**
 * Runs that start themselves from S3 uploads: an EventBridge rule on the pipeline bucket's Object
 * Created events (the bucket has `eventBridgeEnabled`) for `jobs/*.json` and `inbox/...` targets the
 * trigger Lambda (`lambdas/handlers/s3-trigger.ts`), which starts executions of the run state machine.
 *
 * | principal       | may                                                                              |
 * |-----------------|----------------------------------------------------------------------------------|
 * | trigger Lambda  | GetObject `jobs/*`, `inbox/*`; GetObjectVersion `jobs/*`; ListBucket on those prefixes; PutObject `jobs/*.error.json`; StartExecution of the run machine only |
 *
 * Nothing is lost on failure: the rule retries delivery and the Lambda retries asynchronous invocations;
 * what still fails lands in one SQS dead-letter queue (the original event, for redrive).
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_ERROR_SUFFIX, TRIGGER_PREFIXES } from '../lambdas/core/batch/layout';
import { serializeWatchProfiles, type WatchProfiles } from '../lambdas/core/batch/watch-profiles';
import { TRIGGER_ENV } from '../lambdas/handlers/batch-env';
import { acknowledge } from './nag';
import type { PipelineConfig } from './pipeline-config';
import { grantTo, pipelineFunction } from './pipeline-function';

/** Object keys the rule forwards: job manifests and watch-folder documents. */
export const TRIGGER_KEY_PATTERNS = { jobs: `${TRIGGER_PREFIXES.jobs}*.json`, inbox: TRIGGER_PREFIXES.inbox } as const;

/** Props of `RunTriggers`. */
export interface RunTriggersProps {
  readonly config: PipelineConfig;
  /** The pipeline bucket (must have `eventBridgeEnabled`). */
  readonly bucket: s3.IBucket;
  /** The run state machine: the only one the trigger may start. */
  readonly runStateMachine: sfn.IStateMachine;
  /**
   * Watch folders: profile (folder under `inbox/`) -> standing questions and options (default
   * `config.watchProfiles`). Validated at synth; at most 3,072 bytes as JSON (Lambda environment variables share 4 KB).
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
    const watchProfilesJson = serializeWatchProfiles(props.watchProfiles ?? config.watchProfiles ?? {});

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the trigger rule and Lambda; a DLQ of the DLQ would only move the finding.');

    this.function = pipelineFunction(this, 'Function', {
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
    // Without ListBucket, S3 answers 403 instead of 404 for a missing key, so a manifest deleted before it
    // is read (or the URL-decoded spelling of a key) would look like a permission failure and go to the DLQ.
    grantTo(this.function, new iam.PolicyStatement({
      sid: 'ListTriggerPrefixes', actions: ['s3:ListBucket'], resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${TRIGGER_PREFIXES.jobs}*`, `${TRIGGER_PREFIXES.inbox}*`] } },
    }));
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
