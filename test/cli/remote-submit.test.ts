/**
 * `rlm submit` at the SDK boundary (aws-sdk-client-mock): uploads of a real temp directory (keys, binary
 * and ignored files skipped), the StartExecution name and input, refusals before anything is uploaded,
 * and `--wait`. No AWS call is made.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { runToItem } from '../../lambdas/adapters/dynamodb/items';
import { zeroTotals } from '../../lambdas/core/accounting';
import { DEFAULT_RUN_CONFIG } from '../../lambdas/core/config';
import { ConfigError, DocumentError, InvalidInputError } from '../../lambdas/core/errors';
import { parseSubmitArgs, remoteCommand } from '../../bin/commands/remote';
import { createRemoteClients } from '../../bin/remote/stack';

const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBClient);

const BUCKET = 'rlmpipeline-bucket83908e77-1x2y3z';
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:RunStateMachineE1A2B3C4-xyz';
const RUN_ID = 'run-20250115-120000-a1b2c3';
const EXEC_ARN = `arn:aws:states:eu-west-1:123456789012:execution:RunStateMachineE1A2B3C4-xyz:${RUN_ID}`;
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 });
const OUTPUTS = [
  { OutputKey: 'BucketName', OutputValue: BUCKET }, { OutputKey: 'TableName', OutputValue: 'RlmPipeline-Table-ABC' },
  { OutputKey: 'StateMachineArn', OutputValue: MACHINE }, { OutputKey: 'CodeInterpreterId', OutputValue: 'rlm_ci-AbC123' },
  { OutputKey: 'EventBusName', OutputValue: 'default' },
];

let root: string;
function write(rel: string, content: string | Buffer): string {
  const full = path.join(root, rel);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
  return full;
}
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) }, out, err };
}
const deps = { clients: () => createRemoteClients('eu-west-1'), newRunId: () => RUN_ID, sleep: async () => {}, now: () => 0 };
const started = () => sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC_ARN, startDate: new Date('2025-01-15T12:00:00Z'), $metadata: meta(200) });
const putKeys = () => s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key).sort();
const startInput = () => JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input ?? 'null');

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'rlm-submit-'));
  write('logs/app.log', 'INFO payments ok\nERROR payments timeout\n');
  write('logs/nested/db.log', 'WARN db slow\n');
  write('logs/screenshot.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
  write('logs/dump.bin', Buffer.from([1, 2, 0, 3]));
  write('logs/.git/config', '[core]\n');
  write('logs/node_modules/x/index.js', 'module.exports = 1;\n');
  write('notes.md', '# Notes\nservice owners\n');
  write('other/notes.md', '# Other notes\n');
  write('photo.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  cfn.restore(); s3.restore(); sfn.restore(); ddb.restore();
});
beforeEach(() => {
  cfn.reset(); s3.reset(); sfn.reset(); ddb.reset();
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'RlmPipeline', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: OUTPUTS }] });
  s3.on(PutObjectCommand).resolves({ ETag: '"e1"', $metadata: meta(200) });
});

describe('rlm submit', () => {
  it('uploads a directory (text files only) and files under documents/<runId>/, then starts the execution named by the run ID', async () => {
    started();
    const { io, out, err } = capture();
    const code = await remoteCommand('submit', [
      '--question', 'Which service had the most incidents?', '--document', path.join(root, 'logs'),
      '--document', path.join(root, 'notes.md'), '--document', path.join(root, 'other/notes.md'),
      '--document', `s3://${BUCKET}/inbox/tickets.csv`, '--max-iterations', '12', '--sub-model', 'us.amazon.nova-lite-v1:0', '--tag', 'team=ops',
    ], io, deps);
    expect(code).toBe(0);
    expect(putKeys()).toEqual([
      `documents/${RUN_ID}/logs/app.log`, `documents/${RUN_ID}/logs/nested/db.log`,
      `documents/${RUN_ID}/notes-2.md`, `documents/${RUN_ID}/notes.md`,
    ]);
    const put = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key?.endsWith('app.log'))!.args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, ContentType: 'text/plain; charset=utf-8' });
    expect(Buffer.from(put.Body as Buffer).toString()).toBe('INFO payments ok\nERROR payments timeout\n');

    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(start.stateMachineArn).toBe(MACHINE);
    expect(start.name).toBe(RUN_ID);
    expect(startInput()).toEqual({
      question: 'Which service had the most incidents?',
      documents: [
        `s3://${BUCKET}/documents/${RUN_ID}/logs/`,
        `s3://${BUCKET}/documents/${RUN_ID}/notes.md`,
        { uri: `s3://${BUCKET}/documents/${RUN_ID}/notes-2.md`, name: 'notes.md' },
        `s3://${BUCKET}/inbox/tickets.csv`,
      ],
      options: { maxIterations: 12, subModelId: 'us.amazon.nova-lite-v1:0' },
      tags: { team: 'ops' },
    });
    expect(out).toEqual([RUN_ID]);
    expect(err.join('\n')).toContain(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXEC_ARN}`);
    expect(err.join('\n')).toContain('uploaded 4 file(s)');
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0); // generated IDs are not looked up
  });

  it('--output json describes the started run; options are omitted when none are given', async () => {
    started();
    const { io, out } = capture();
    expect(await remoteCommand('submit', ['--question', 'q?', '--document', `s3://${BUCKET}/documents/shared/`, '--output', 'json', '--stack', 'Prod'], io, deps)).toBe(0);
    expect(cfn.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'Prod' });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(startInput()).toEqual({ question: 'q?', documents: [`s3://${BUCKET}/documents/shared/`] });
    expect(JSON.parse(out[0])).toMatchObject({ runId: RUN_ID, stack: 'Prod', executionArn: EXEC_ARN, uploaded: { files: 0, bytes: 0 } });
  });

  it.each([
    ['another bucket', 's3://someone-elses-bucket/documents/a.txt', /not in the stack's bucket: runs of RlmPipeline can only read s3:\/\/rlmpipeline-bucket83908e77-1x2y3z\/documents\/ or .*\/inbox\//],
    ['a prefix the sandbox cannot read', `s3://${BUCKET}/results/run-1/result.json`, /outside documents\/ and inbox\//],
    ['the bucket root', `s3://${BUCKET}/`, /outside documents\/ and inbox\//],
  ])('refuses an s3:// document in %s before uploading or starting anything', async (_what, uri, message) => {
    const p = remoteCommand('submit', ['--question', 'q?', '--document', path.join(root, 'notes.md'), '--document', uri], capture().io, deps);
    await expect(p).rejects.toThrow(InvalidInputError);
    await expect(p).rejects.toThrow(message);
    expect(s3.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses a named binary file and a missing path before uploading', async () => {
    await expect(remoteCommand('submit', ['--question', 'q?', '--document', path.join(root, 'notes.md'), '--document', path.join(root, 'photo.jpg')], capture().io, deps))
      .rejects.toThrow(DocumentError);
    await expect(remoteCommand('submit', ['--question', 'q?', '--document', path.join(root, 'nope.txt')], capture().io, deps))
      .rejects.toThrow(/no such file or directory/);
    expect(s3.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses bad run options and usage errors before any AWS call', async () => {
    await expect(remoteCommand('submit', ['--question', 'q?', '--document', 'x', '--max-iterations', '500'], capture().io, deps)).rejects.toThrow(ConfigError);
    expect(s3.calls()).toHaveLength(0);
    expect(() => parseSubmitArgs(['--document', 'x'])).toThrow(/--question is required/);
    expect(() => parseSubmitArgs(['--question', 'q'])).toThrow(/--document/);
    expect(() => parseSubmitArgs(['--question', 'q', '--document', 'x', '--poll', '2'])).toThrow(/only applies with --wait/);
    expect(() => parseSubmitArgs(['--question', 'q', '--document', 'x', '--run-id', 'has space'])).toThrow(InvalidInputError);
    expect(() => parseSubmitArgs(['--question', 'q', '--document', 'x', '--tag', 'novalue'])).toThrow(/KEY=VALUE/);
    expect(parseSubmitArgs(['--question', 'q', '--document', 'x', '--cell-timeout', '7.5']).submit.options).toEqual({ cellTimeoutMs: 7500 });
  });

  it('refuses a --run-id that already has an execution before uploading; maps ExecutionAlreadyExists too', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'SUCCEEDED', startDate: new Date() });
    await expect(remoteCommand('submit', ['--question', 'q?', '--document', path.join(root, 'notes.md'), '--run-id', RUN_ID], capture().io, deps))
      .rejects.toThrow(/run ID run-20250115-120000-a1b2c3 is already used on stack RlmPipeline \(SUCCEEDED\)/);
    expect(s3.calls()).toHaveLength(0);

    sfn.reset();
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: meta(400) }));
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: meta(400) }));
    await expect(remoteCommand('submit', ['--question', 'q?', '--document', path.join(root, 'notes.md'), '--run-id', RUN_ID], capture().io, deps))
      .rejects.toThrow(InvalidInputError);
  });

  it('--wait polls until the execution ends, reports turns, and prints the result like rlm result', async () => {
    started();
    const running = { executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'RUNNING' as const, startDate: new Date('2025-01-15T12:00:00Z') };
    sfn.on(DescribeExecutionCommand)
      .resolvesOnce(running).resolvesOnce(running).resolvesOnce(running)
      .resolves({ ...running, status: 'SUCCEEDED', stopDate: new Date('2025-01-15T12:02:00Z') });
    const run = (iterations: number) => ({
      runId: RUN_ID, status: 'running' as const, question: 'q?', documents: [], config: { ...DEFAULT_RUN_CONFIG }, iterations,
      totals: { ...zeroTotals(), subCalls: iterations * 2, costUsd: iterations / 100 }, createdAt: 'x', updatedAt: 'y',
    });
    ddb.on(GetItemCommand).resolvesOnce({}).resolvesOnce({ Item: runToItem(run(1)) }).resolves({ Item: runToItem(run(2)) });
    const result = { runId: RUN_ID, status: 'succeeded', answer: 'payments', stopReason: 'final', iterations: 2, costUsd: 0.02,
      usage: { rootInputTokens: 900, rootOutputTokens: 100, rootCacheReadTokens: 0, rootCacheWriteTokens: 0, subInputTokens: 10, subOutputTokens: 5, subCalls: 4 } };
    s3.on(GetObjectCommand).callsFake(() => ({ Body: sdkStreamMixin(Readable.from([Buffer.from(JSON.stringify(result))])) }));
    const sleeps: number[] = [];
    const { io, out, err } = capture();
    const code = await remoteCommand('submit', ['--question', 'q?', '--document', path.join(root, 'notes.md'), '--wait', '--poll', '2'], io,
      { ...deps, sleep: async (ms: number) => { sleeps.push(ms); } });
    expect(code).toBe(0);
    expect(sleeps).toEqual([2000, 2000, 2000]);
    expect(out).toEqual(['payments']);
    const log = err.join('\n');
    expect(log).toContain('rlm: turn 1/30 recorded · running · sub-calls 2 · ~$0.0100');
    expect(log).toContain('rlm: turn 2/30 recorded');
    expect(log.match(/turn 2\/30/g)).toHaveLength(1); // one line per new turn, not per poll
    expect(log).toContain('rlm: succeeded (final) after 2 turns · root 1,000 tok · 4 sub-calls · ~$0.0200');
  });

  it('--wait --timeout gives up waiting (exit 1) and leaves the run going', async () => {
    started();
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXEC_ARN, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date() });
    let clock = 0;
    const { io, err } = capture();
    const code = await remoteCommand('submit', ['--question', 'q?', '--document', path.join(root, 'notes.md'), '--wait', '--timeout', '10', '--quiet'], io,
      { ...deps, now: () => clock, sleep: async (ms: number) => { clock += ms; } });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/still going after the --timeout/);
    expect(ddb.calls()).toHaveLength(0); // --quiet: no progress reads
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
