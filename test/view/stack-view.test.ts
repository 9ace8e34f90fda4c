/**
 * `rlm view RUN_ID --stack NAME` at the SDK boundary (aws-sdk-client-mock, SDK-shaped responses): the run's
 * results/<runId>/ files are downloaded from the stack's bucket and rendered; a missing run is named.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { viewCommand } from '../../bin/commands/view';
import { createRemoteClients } from '../../bin/remote/stack';
import { InvalidInputError } from '../../lambdas/core/errors';
import { writeBigRun, writeDocs } from './fixtures';

const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const BUCKET = 'rlmpipeline-bucket-1x2y3z';
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 });
const body = (text: string) => sdkStreamMixin(Readable.from([Buffer.from(text)]));
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rlm-view-stack-'));
  cfn.reset(); s3.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'RlmPipeline', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date('2025-01-10T00:00:00Z'), Outputs: [
      { OutputKey: 'BucketName', OutputValue: BUCKET }, { OutputKey: 'TableName', OutputValue: 'T' },
      { OutputKey: 'StateMachineArn', OutputValue: 'arn:aws:states:us-west-2:123456789012:stateMachine:M' },
      { OutputKey: 'CodeInterpreterId', OutputValue: 'ci' }, { OutputKey: 'EventBusName', OutputValue: 'default' },
    ] }],
    $metadata: meta(200),
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a stack run is downloaded from results/<runId>/ and rendered', async () => {
  const src = writeBigRun(path.join(dir, 'src'), writeDocs(dir), { turns: 2, perTurn: 1, runId: 'run-20250115-120000-a1b2c3' });
  s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'results/run-20250115-120000-a1b2c3/trajectory.json' }).resolves({ Body: body(readFileSync(path.join(src, 'trajectory.json'), 'utf8')) as never, $metadata: meta(200) });
  s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'results/run-20250115-120000-a1b2c3/result.json' }).resolves({ Body: body(readFileSync(path.join(src, 'result.json'), 'utf8')) as never, $metadata: meta(200) });
  const out: string[] = [], err: string[] = [];
  const code = await viewCommand(['run-20250115-120000-a1b2c3', '--stack', 'RlmPipeline', '--state-dir', path.join(dir, 'state')], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, () => createRemoteClients('us-west-2'));
  expect(code).toBe(0);
  expect(out.pop()).toBe(path.join(dir, 'state', 'remote', 'run-20250115-120000-a1b2c3', 'view.html'));
  expect(readFileSync(path.join(dir, 'state', 'remote', 'run-20250115-120000-a1b2c3', 'view.html'), 'utf8')).toContain('big answer');
  expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
});

test('a run the stack has no results for is an error naming it', async () => {
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: meta(404) }));
  await expect(viewCommand(['run-x', '--stack', 'RlmPipeline', '--state-dir', path.join(dir, 'state')], { stdout: () => {}, stderr: () => {} }, () => createRemoteClients('us-west-2')))
    .rejects.toThrow(new InvalidInputError('stack RlmPipeline has no results/run-x/ (the run is still going, or the ID is wrong: rlm status run-x)'));
});
