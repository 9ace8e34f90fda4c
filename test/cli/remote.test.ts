/**
 * `rlm status` / `rlm result` and the stack lookup, at the SDK boundary (aws-sdk-client-mock) with
 * SDK-shaped responses: DescribeStacks outputs, DescribeExecution, the run item as DynamoDB stores it
 * (`runToItem`), result.json as a stream body, modeled errors. No AWS call is made.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { runToItem } from '../../lambdas/adapters/dynamodb/items';
import { DEFAULT_RUN_CONFIG } from '../../lambdas/core/config';
import { ConfigError, InvalidInputError } from '../../lambdas/core/errors';
import type { RunRecord, RunSummary } from '../../lambdas/core/types';
import { REMOTE_HELP, remoteCommand } from '../../bin/commands/remote';
import { consoleUrlFor, createRemoteClients, executionArnFor, readStackOutputs } from '../../bin/remote/stack';

const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBClient);

const BUCKET = 'rlmpipeline-bucket83908e77-1x2y3z';
const TABLE = 'RlmPipeline-Table7E4D1F2A-ABCDEF';
const MACHINE = 'arn:aws:states:us-west-2:123456789012:stateMachine:RunStateMachineE1A2B3C4-xyz';
const RUN_ID = 'run-20250115-120000-a1b2c3';
const EXEC_ARN = `arn:aws:states:us-west-2:123456789012:execution:RunStateMachineE1A2B3C4-xyz:${RUN_ID}`;
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 });

function stackOutputs(stackName = 'RlmPipeline', omit?: string) {
  const outputs = [
    { OutputKey: 'BucketName', OutputValue: BUCKET, Description: 'Bucket for documents/ (inputs), inbox/, jobs/, batches/ and results/' },
    { OutputKey: 'TableName', OutputValue: TABLE },
    { OutputKey: 'StateMachineArn', OutputValue: MACHINE },
    { OutputKey: 'CodeInterpreterId', OutputValue: 'rlm_ci-AbC123' },
    { OutputKey: 'EventBusName', OutputValue: 'default' },
  ].filter((o) => o.OutputKey !== omit);
  return {
    Stacks: [{
      StackName: stackName, StackId: `arn:aws:cloudformation:us-west-2:123456789012:stack/${stackName}/1e2f`,
      StackStatus: 'UPDATE_COMPLETE' as const, CreationTime: new Date('2025-01-10T00:00:00Z'), Outputs: outputs,
    }],
    $metadata: meta(200),
  };
}

function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: RUN_ID, status: 'running', question: 'Which service had the most incidents?',
    documents: [{ name: 'app.log', uri: `s3://${BUCKET}/documents/${RUN_ID}/app.log`, chars: 1200 }],
    config: { ...DEFAULT_RUN_CONFIG }, sandboxSessionId: 'sess-1', iterations: 3,
    totals: {
      rootInputTokens: 12_345, rootOutputTokens: 2_345, rootCacheReadTokens: 0, rootCacheWriteTokens: 0,
      subInputTokens: 4_000, subOutputTokens: 500, subCalls: 4, subCallErrors: 0, cellSeconds: 3.2, costUsd: 0.0712, consecutiveErrors: 0,
    },
    createdAt: '2025-01-15T12:00:01.000Z', updatedAt: '2025-01-15T12:01:30.000Z', contextChars: 1200, contextPreview: 'INFO ...',
    ...overrides,
  };
}

const SUMMARY: RunSummary & { question: string } = {
  runId: RUN_ID, status: 'succeeded', answer: 'payments (7 incidents)', stopReason: 'final', iterations: 4,
  usage: { rootInputTokens: 20_000, rootOutputTokens: 3_000, rootCacheReadTokens: 0, rootCacheWriteTokens: 0, subInputTokens: 5_000, subOutputTokens: 700, subCalls: 5 },
  costUsd: 0.1034, trajectoryPath: `s3://${BUCKET}/results/${RUN_ID}/trajectory.json`, question: 'Which service had the most incidents?',
};

const body = (text: string) => sdkStreamMixin(Readable.from([Buffer.from(text)]));
const noSuchKey = () => new NoSuchKey({ message: 'The specified key does not exist.', $metadata: meta(404) });

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) }, out, err };
}
const deps = { clients: () => createRemoteClients('us-west-2') };

beforeEach(() => {
  cfn.reset(); s3.reset(); sfn.reset(); ddb.reset();
  cfn.on(DescribeStacksCommand).resolves(stackOutputs());
});
afterAll(() => { cfn.restore(); s3.restore(); sfn.restore(); ddb.restore(); });

describe('stack outputs', () => {
  it('reads bucket, table and state machine from DescribeStacks of the named stack', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'MyRlm' }).resolves(stackOutputs('MyRlm'));
    const stack = await readStackOutputs(new CloudFormationClient({ region: 'us-west-2' }), 'MyRlm');
    expect(stack).toEqual({ stackName: 'MyRlm', bucketName: BUCKET, tableName: TABLE, stateMachineArn: MACHINE });
  });

  it('says clearly when the stack does not exist (ConfigError, before anything else)', async () => {
    cfn.on(DescribeStacksCommand).rejects(new CloudFormationServiceException({
      name: 'ValidationError', $fault: 'client', message: 'Stack with id Nope does not exist', $metadata: meta(400),
    }));
    const { io } = capture();
    const p = remoteCommand('status', [RUN_ID, '--stack', 'Nope'], io, deps);
    await expect(p).rejects.toThrow(ConfigError);
    await expect(p).rejects.toThrow(/stack Nope does not exist in us-west-2 .*--stack NAME/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('names a missing output', async () => {
    cfn.on(DescribeStacksCommand).resolves(stackOutputs('RlmPipeline', 'TableName'));
    await expect(remoteCommand('result', [RUN_ID], capture().io, deps)).rejects.toThrow(/stack RlmPipeline has no output TableName/);
  });

  it('derives the execution ARN and console URL from the state machine ARN', () => {
    expect(executionArnFor(MACHINE, RUN_ID)).toBe(EXEC_ARN);
    expect(consoleUrlFor(EXEC_ARN)).toBe(`https://us-west-2.console.aws.amazon.com/states/home?region=us-west-2#/v2/executions/details/${EXEC_ARN}`);
    expect(() => executionArnFor('arn:aws:lambda:us-west-2:1:function:f', RUN_ID)).toThrow(ConfigError);
  });
});

describe('rlm status', () => {
  it('prints execution and run item as a small table (default stack RlmPipeline)', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXEC_ARN }).resolves({
      executionArn: EXEC_ARN, stateMachineArn: MACHINE, name: RUN_ID, status: 'RUNNING',
      startDate: new Date('2025-01-15T12:00:00Z'), $metadata: meta(200),
    });
    ddb.on(GetItemCommand).resolves({ Item: runToItem(runRecord()), $metadata: meta(200) });
    const { io, out } = capture();
    expect(await remoteCommand('status', [RUN_ID], io, deps)).toBe(0);
    expect(cfn.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'RlmPipeline' });
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input.TableName).toBe(TABLE);
    expect(out.join('\n')).toBe([
      'run          run-20250115-120000-a1b2c3',
      'execution    RUNNING',
      'started      2025-01-15T12:00:00.000Z',
      'stopped      -',
      'status       running',
      'iterations   3 of 30',
      'stop reason  -',
      'root tokens  12,345 in / 2,345 out',
      'sub-calls    4 (4,000 in / 500 out)',
      'cost         ~$0.0712',
      `models       ${DEFAULT_RUN_CONFIG.rootModelId} / ${DEFAULT_RUN_CONFIG.subModelId}`,
      `console      https://us-west-2.console.aws.amazon.com/states/home?region=us-west-2#/v2/executions/details/${EXEC_ARN}`,
    ].join('\n'));
  });

  it('--output json: execution and run fields', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'FAILED', startDate: new Date('2025-01-15T12:00:00Z'),
      stopDate: new Date('2025-01-15T12:03:00Z'), error: 'ModelInvocationError', cause: 'access denied to the model', $metadata: meta(200),
    });
    ddb.on(GetItemCommand).resolves({ Item: runToItem(runRecord({ status: 'failed', stopReason: 'error', stopDetail: 'ModelInvocationError: access denied' })) });
    const { io, out } = capture();
    expect(await remoteCommand('status', [RUN_ID, '--output', 'json'], io, deps)).toBe(0);
    const json = JSON.parse(out[0]);
    expect(json.execution).toMatchObject({ status: 'FAILED', stopDate: '2025-01-15T12:03:00.000Z', error: 'ModelInvocationError' });
    expect(json.run).toMatchObject({ status: 'failed', iterations: 3, maxIterations: 30, stopReason: 'error', totals: { subCalls: 4 } });
  });

  it('shows the execution alone before StartRun wrote the run item; exit 1 for an unknown run', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date() });
    ddb.on(GetItemCommand).resolves({ $metadata: meta(200) });
    const first = capture();
    expect(await remoteCommand('status', [RUN_ID], first.io, deps)).toBe(0);
    expect(first.out.join('\n')).toMatch(/no run item yet/);

    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${EXEC_ARN}'`, $metadata: meta(400) }));
    const second = capture();
    expect(await remoteCommand('status', [RUN_ID], second.io, deps)).toBe(1);
    expect(second.err.join('\n')).toMatch(/no run run-20250115-120000-a1b2c3 on stack RlmPipeline/);
  });

  it('refuses a bad run ID or extra arguments before calling AWS', async () => {
    await expect(remoteCommand('status', ['bad id!'], capture().io, deps)).rejects.toThrow(InvalidInputError);
    await expect(remoteCommand('status', [], capture().io, deps)).rejects.toThrow(/exactly one RUN_ID/);
    expect(cfn.calls()).toHaveLength(0);
  });
});

describe('rlm result', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'rlm-remote-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the answer on stdout and the accounting on stderr; --trajectory downloads the trajectory', async () => {
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: `results/${RUN_ID}/result.json` }).callsFake(() => ({ Body: body(JSON.stringify(SUMMARY)), ContentType: 'application/json' }));
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: `results/${RUN_ID}/trajectory.json` }).callsFake(() => ({ Body: body('{"run":{},"turns":[]}') }));
    const file = path.join(dir, 'trajectory.json');
    const { io, out, err } = capture();
    expect(await remoteCommand('result', [RUN_ID, '--trajectory', file], io, deps)).toBe(0);
    expect(out).toEqual(['payments (7 incidents)']);
    expect(err.join('\n')).toContain('rlm: succeeded (final) after 4 turns · root 23,000 tok · 5 sub-calls · ~$0.1034');
    expect(err.join('\n')).toContain(`s3://${BUCKET}/results/${RUN_ID}/result.json`);
    expect(readFileSync(file, 'utf8')).toBe('{"run":{},"turns":[]}');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('--output json prints result.json; a failed run exits 1 with its error', async () => {
    const failed = { ...SUMMARY, status: 'failed', answer: null, stopReason: 'error', error: { name: 'SandboxError', message: 'session lost' } };
    s3.on(GetObjectCommand).callsFake(() => ({ Body: body(JSON.stringify(failed)) }));
    const json = capture();
    expect(await remoteCommand('result', [RUN_ID, '--output', 'json'], json.io, deps)).toBe(1);
    expect(JSON.parse(json.out[0])).toMatchObject({ runId: RUN_ID, status: 'failed', error: { name: 'SandboxError' } });
    const text = capture();
    expect(await remoteCommand('result', [RUN_ID], text.io, deps)).toBe(1);
    expect(text.out).toEqual([]);
    expect(text.err.join('\n')).toContain('rlm: error SandboxError: session lost');
  });

  it('says the run is still going (with its status) and exits 1 when result.json is not there yet', async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date('2025-01-15T12:00:00Z') });
    const { io, out, err } = capture();
    expect(await remoteCommand('result', [RUN_ID], io, deps)).toBe(1);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/run run-20250115-120000-a1b2c3 is still going \(RUNNING since 2025-01-15T12:00:00.000Z\); no result yet/);

    const json = capture();
    expect(await remoteCommand('result', [RUN_ID, '--output', 'json'], json.io, deps)).toBe(1);
    expect(JSON.parse(json.out[0])).toMatchObject({ runId: RUN_ID, ready: false, execution: { status: 'RUNNING' } });
  });

  it('treats 403 on a missing result.json (caller without s3:ListBucket) as not ready while the run is going', async () => {
    const denied = () => new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: meta(403) });
    s3.on(GetObjectCommand).rejects(denied());
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date() });
    const { io, err } = capture();
    expect(await remoteCommand('result', [RUN_ID], io, deps)).toBe(1);
    expect(err.join('\n')).toMatch(/is still going/);
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'SUCCEEDED', startDate: new Date() });
    await expect(remoteCommand('result', [RUN_ID], capture().io, deps)).rejects.toThrow('Access Denied');
  });

  it('fails on a missing bucket instead of reading it as a result not written yet', async () => {
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'NoSuchBucket', $fault: 'client', message: 'The specified bucket does not exist', $metadata: meta(404) }));
    await expect(remoteCommand('result', [RUN_ID], capture().io, deps)).rejects.toThrow('The specified bucket does not exist');
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('explains an execution that ended without a result file, and an unknown run', async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'ABORTED', startDate: new Date(), stopDate: new Date() });
    const aborted = capture();
    expect(await remoteCommand('result', [RUN_ID], aborted.io, deps)).toBe(1);
    expect(aborted.err.join('\n')).toMatch(/ended ABORTED without a result file/);

    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: meta(400) }));
    const unknown = capture();
    expect(await remoteCommand('result', [RUN_ID], unknown.io, deps)).toBe(1);
    expect(unknown.err.join('\n')).toMatch(/no run run-20250115-120000-a1b2c3 on stack RlmPipeline/);
  });

  it('prints help without calling AWS', async () => {
    const { io, out } = capture();
    expect(await remoteCommand('result', ['--help'], io, deps)).toBe(0);
    expect(out[0]).toBe(REMOTE_HELP.result);
    expect(cfn.calls()).toHaveLength(0);
  });
});
