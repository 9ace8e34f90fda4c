/**
 * Where a run's data lives: ONE S3 bucket (documents in, results out) and the DynamoDB conversation table.
 *
 * Bucket layout (prefixes are the IAM boundaries: the sandbox may only read `documents/` and `inbox/`,
 * the Lambdas write only `results/`):
 *
 * | prefix       | holds                                                    |
 * |--------------|----------------------------------------------------------|
 * | `documents/` | documents runs read (uploaded by you)                    |
 * | `inbox/`     | documents dropped to trigger runs (S3 -> EventBridge)    |
 * | `jobs/`      | single-run job files for triggers                        |
 * | `batches/`   | batch manifests for triggers                             |
 * | `results/`   | `results/<runId>/result.json` and large cell outputs     |
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CONVERSATION_TABLE_SCHEMA } from '../lambdas/adapters/dynamodb/schema';
import { BUCKET_PREFIXES } from '../lambdas/core/bucket-layout';
import { acknowledge } from './nag';
import type { PipelineConfig } from './pipeline-config';

/** Key prefixes of the pipeline bucket (each ends in `/`); the layout is defined once, in `lambdas/core/bucket-layout.ts`. */
export const S3_PREFIXES = {
  documents: BUCKET_PREFIXES.documents,
  inbox: BUCKET_PREFIXES.inbox,
  jobs: BUCKET_PREFIXES.jobs,
  batches: BUCKET_PREFIXES.batches,
  results: BUCKET_PREFIXES.results,
} as const;

/** Prefixes whose objects runs may read as documents (Lambdas and the sandbox). */
export const READABLE_DOCUMENT_PREFIXES = [S3_PREFIXES.documents, S3_PREFIXES.inbox] as const;

/** The aws-cdk-lib feature flag that makes log delivery use a bucket policy instead of an ACL. */
const S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';

/** Props of `PipelineStorage`. */
export interface PipelineStorageProps {
  readonly config: PipelineConfig;
}

/** The pipeline bucket, its access-log bucket, and the conversation table. */
export class PipelineStorage extends Construct {
  /** Documents, trigger files and results (see `S3_PREFIXES`). */
  readonly bucket: s3.Bucket;
  /** Server access logs of `bucket`. */
  readonly accessLogsBucket: s3.Bucket;
  /** The conversation table (`pk`/`sk`, TTL on `expiresAt`). */
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: PipelineStorageProps) {
    super(scope, id);
    // Explicit, not inherited from the app's cdk.json: server access logs are delivered through a bucket
    // policy (the log bucket keeps BUCKET_OWNER_ENFORCED, no ACLs), so the construct works in an app with no
    // feature flags. Context set here applies only to this construct's children.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const { config } = props;
    const destroy = config.removalPolicy === 'destroy';
    const removalPolicy = destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(config.logRetentionDays) }],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    acknowledge(this.accessLogsBucket, 'AwsSolutions-S1',
      'This is the server-access-log target of the pipeline bucket; logging it to itself would loop and a third bucket would only move the finding.');

    this.bucket = new s3.Bucket(this, 'Bucket', {
      // SSE-S3: no key policy to keep in sync with the sandbox role and no per-request KMS cost;
      // access is controlled by IAM on prefixes, BlockPublicAccess and TLS-only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'pipeline-bucket/',
      eventBridgeEnabled: true,
      lifecycleRules: [
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        // Scratch of the batch machine (prepared items, per-item records); results live in batches/results/.
        { id: 'expire-batch-work', prefix: BUCKET_PREFIXES.batchWork, expiration: Duration.days(14) },
      ],
      removalPolicy,
      autoDeleteObjects: destroy,
    });

    const { partitionKey, sortKey, ttlAttribute } = CONVERSATION_TABLE_SCHEMA;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: !destroy,
      removalPolicy,
    });

    acknowledgeCdkHelpers(Stack.of(this));
  }
}

/**
 * cdk-nag finding on the CDK-owned singleton Lambda that turns on S3 -> EventBridge notifications
 * (`eventBridgeEnabled`): its code, runtime and role come from aws-cdk-lib. (The provider that empties
 * the buckets under `removalPolicy: destroy` is a raw CFN resource cdk-nag does not inspect.)
 */
function acknowledgeCdkHelpers(stack: Stack): void {
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('BucketNotificationsHandler')) {
      acknowledge(child, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK-owned handler that configures the bucket\'s EventBridge notifications at deploy time; the managed policy covers its own logs only.');
    }
  }
}
