/**
 * The deployed stack as the `rlm` CLI sees it: its CloudFormation outputs (bucket, table, state
 * machine), the SDK clients to reach it, and the names derived from a run ID (execution ARN, console URL).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { parseS3Uri } from '../../lambdas/adapters/documents';
import { ALLOWED_DOCUMENT_PREFIXES } from '../../lambdas/core/batch/layout';
import { isValidExecutionName } from '../../lambdas/core/batch/names';
import { ConfigError, describeError, InvalidInputError } from '../../lambdas/core/errors';
import { STACK_OUTPUT_KEYS } from '../../lib/stack-outputs';
import { runArtifactObjectKey, uploadPrefixFor, type RunArtifactFile } from '../../lambdas/core/bucket-layout';

/** SDK clients of one region (tests pass mocked ones). */
export interface RemoteClients {
  cfn: CloudFormationClient;
  s3: S3Client;
  sfn: SFNClient;
  dynamodb: DynamoDBClient;
}

/** Clients for `region`, or for the SDK's default region (AWS_REGION, profile) when absent. */
export function createRemoteClients(region?: string): RemoteClients {
  const config = region ? { region } : {};
  return {
    cfn: new CloudFormationClient(config),
    s3: new S3Client(config),
    sfn: new SFNClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}

/** What the CLI needs from the stack's outputs. */
export interface RemoteStack {
  stackName: string;
  bucketName: string;
  tableName: string;
  stateMachineArn: string;
}

/**
 * Prefixes of the pipeline bucket runs may read documents from (the sandbox role can read nothing
 * else): the bucket layout's, which the stack grants too (lib/storage.ts imports aws-cdk-lib, so the
 * CLI takes them from `lambdas/core/batch/layout.ts`).
 */
export const READABLE_PREFIXES: readonly string[] = ALLOWED_DOCUMENT_PREFIXES;

/** Prefix local documents are uploaded under: `documents/<runId>/` (declared in core/bucket-layout.ts). */
export { uploadPrefixFor };

/** `results/<runId>/<file>`: where FinalizeRun/RecordFailure write a run's artifacts. */
export function resultKeyFor(runId: string, file: RunArtifactFile): string {
  return runArtifactObjectKey(runId, file);
}

/**
 * Read the stack's outputs (DescribeStacks). Throws `ConfigError` when the stack does not exist (or
 * cannot be described) or lacks one of the outputs the CLI needs.
 */
export async function readStackOutputs(cfn: CloudFormationClient, stackName: string): Promise<RemoteStack> {
  return { stackName, ...(await readOutputs(cfn, stackName, ['bucketName', 'tableName', 'stateMachineArn'])) };
}

/**
 * The outputs `keys` (by `STACK_OUTPUT_KEYS` name) of stack `stackName`, via DescribeStacks. Throws
 * `ConfigError` when the stack does not exist (or cannot be described) or lacks one of them.
 */
export async function readOutputs<K extends keyof typeof STACK_OUTPUT_KEYS>(
  cfn: CloudFormationClient, stackName: string, keys: readonly K[],
): Promise<Record<K, string>> {
  let outputs: Array<{ OutputKey?: string; OutputValue?: string }>;
  try {
    const res = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = res.Stacks?.[0];
    if (!stack) throw new ConfigError(`stack ${stackName} not found`);
    outputs = stack.Outputs ?? [];
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const { name, message } = describeError(err);
    const region = await regionOf(cfn);
    const where = region ? ` in ${region}` : '';
    if (name === 'ValidationError' && /does not exist/i.test(message)) {
      throw new ConfigError(`stack ${stackName} does not exist${where} (deploy it with "npx cdk deploy", or pass --stack NAME / --region REGION)`, { cause: err });
    }
    const hint = name === 'CredentialsProviderError' ? ' (configure AWS credentials: AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID...)' : '';
    throw new ConfigError(`cannot describe stack ${stackName}${where}: ${name}: ${message}${hint}`, { cause: err });
  }
  const values = {} as Record<K, string>;
  for (const key of keys) {
    const outputKey = STACK_OUTPUT_KEYS[key];
    const value = outputs.find((o) => o.OutputKey === outputKey)?.OutputValue;
    if (!value) {
      throw new ConfigError(`stack ${stackName} has no output ${outputKey} (is it an rlm-pipeline stack, and did its deployment finish?)`);
    }
    values[key] = value;
  }
  return values;
}

/** The client's configured region, or undefined when none resolves. */
async function regionOf(client: CloudFormationClient): Promise<string | undefined> {
  try {
    return await client.config.region();
  } catch {
    return undefined;
  }
}

/**
 * Throws `InvalidInputError` unless `runId` can be an execution name: 1-80 letters, digits, `-` and `_`
 * (`isValidExecutionName`, the alphabet the triggers name runs in; also safe as S3 and DynamoDB key).
 */
export function assertRunId(runId: string): void {
  if (!isValidExecutionName(runId)) {
    throw new InvalidInputError(`run ID ${JSON.stringify(runId)} must be 1-80 characters of letters, digits, '-' and '_' (it is the execution name)`);
  }
}

/** `arn:<p>:states:<r>:<a>:execution:<machine>:<runId>` from the state machine ARN. */
export function executionArnFor(stateMachineArn: string, runId: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[2] !== 'states' || parts[5] !== 'stateMachine') {
    throw new ConfigError(`${stateMachineArn} is not a state machine ARN`);
  }
  return [...parts.slice(0, 5), 'execution', parts[6], runId].join(':');
}

/** The Step Functions console page of an execution (region and partition from its ARN). */
export function consoleUrlFor(executionArn: string): string {
  const [, partition, , region] = executionArn.split(':');
  const host = partition === 'aws-cn' ? `${region}.console.amazonaws.cn`
    : partition === 'aws-us-gov' ? `${region}.console.amazonaws-us-gov.com`
      : `${region}.console.aws.amazon.com`;
  return `https://${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * Check that an `s3://` document can be read by a run of this stack: it must be in the stack's bucket
 * under `documents/` or `inbox/` (the only prefixes the Lambdas and the sandbox role may read).
 * Throws `InvalidInputError` saying where to put it instead.
 */
export function assertReadableS3Document(uri: string, stack: RemoteStack): void {
  let location;
  try {
    location = parseS3Uri(uri);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { cause: err });
  }
  const { bucket, key } = location;
  const allowed = READABLE_PREFIXES.map((p) => `s3://${stack.bucketName}/${p}`).join(' or ');
  if (bucket !== stack.bucketName) {
    throw new InvalidInputError(
      `${uri} is not in the stack's bucket: runs of ${stack.stackName} can only read ${allowed}... ` +
        `(copy it there, e.g. "aws s3 cp ${uri} s3://${stack.bucketName}/documents/...", or pass a local path to upload)`,
    );
  }
  if (!READABLE_PREFIXES.some((p) => key.startsWith(p))) {
    throw new InvalidInputError(`${uri} is outside ${READABLE_PREFIXES.join(' and ')}: runs of ${stack.stackName} can only read ${allowed}...`);
  }
}
