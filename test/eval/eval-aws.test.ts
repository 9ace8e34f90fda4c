/** The evaluation's AWS boundary: Bedrock CountTokens, and RLM on a deployed stack (CloudFormation, S3, SFN). */
import { BedrockRuntimeClient, CountTokensCommand } from '@aws-sdk/client-bedrock-runtime';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { planDirectCall } from '../../lambdas/core/eval';
import { directRequest } from '../../bin/eval/direct';
import { answerRlm } from '../../bin/eval/rlm';
import { describeStackTarget, StackRlmRunner } from '../../bin/eval/stack-runner';
import { bedrockTokenCounter, countTokensModelId } from '../../bin/eval/token-count';
import { plantedRecord } from './eval-helpers';

const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const body = (text: string) => sdkStreamMixin(Readable.from([Buffer.from(text)]));

describe('Bedrock CountTokens', () => {
  afterEach(() => jest.restoreAllMocks());

  it('counts the exact Converse input, with the base model ID and the 1M beta', async () => {
    const mock = mockClient(BedrockRuntimeClient);
    mock.on(CountTokensCommand).resolves({ inputTokens: 123_456 });
    const count = bedrockTokenCounter(new BedrockRuntimeClient({ region: 'us-east-1' }));
    const request = directRequest(plantedRecord(0), SONNET, planDirectCall('long-context', SONNET, true)!);
    expect(await count(request)).toBe(123_456);
    const input = mock.commandCalls(CountTokensCommand)[0].args[0].input;
    expect(input.modelId).toBe('anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(input.input?.converse?.additionalModelRequestFields).toEqual({ anthropic_beta: ['context-1m-2025-08-07'] });
    expect(JSON.stringify(input.input?.converse?.messages)).toContain('The vault code of project-0');
    mock.restore();
  });

  it('falls back (undefined) and stops asking once the model refuses counting', async () => {
    const mock = mockClient(BedrockRuntimeClient);
    mock.on(CountTokensCommand).rejects(Object.assign(new Error('not supported'), { name: 'ValidationException' }));
    const why: string[] = [];
    const count = bedrockTokenCounter(new BedrockRuntimeClient({ region: 'us-east-1' }), (_id, reason) => why.push(reason));
    const request = directRequest(plantedRecord(0), SONNET, planDirectCall('base', SONNET, true)!);
    expect(await count(request)).toBeUndefined();
    expect(await count(request)).toBeUndefined();
    expect(mock.commandCalls(CountTokensCommand)).toHaveLength(1);
    expect(why).toEqual(['ValidationException: not supported']);
    mock.restore();
  });

  it('reduces inference profiles and ARNs to the base model ID', () => {
    expect(countTokensModelId('global.anthropic.claude-sonnet-4-20250514-v1:0')).toBe('anthropic.claude-sonnet-4-20250514-v1:0');
    expect(countTokensModelId('arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0')).toBe('anthropic.claude-sonnet-4-20250514-v1:0');
    expect(countTokensModelId('anthropic.claude-sonnet-4-20250514-v1:0')).toBe('anthropic.claude-sonnet-4-20250514-v1:0');
  });
});

describe('RLM on a deployed stack', () => {
  it('reads the outputs, uploads the context, starts and polls the execution, and scores result.json', async () => {
    const cfn = mockClient(CloudFormationClient);
    const s3 = mockClient(S3Client);
    const sfn = mockClient(SFNClient);
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'RlmPipeline', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [
      { OutputKey: 'BucketName', OutputValue: 'rlm-bucket' },
      { OutputKey: 'StateMachineArn', OutputValue: 'arn:aws:states:us-east-1:1:stateMachine:rlm' },
    ] }] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' } as never).resolves({ status: 'SUCCEEDED' } as never);
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      const runId = input.Key.split('/')[1];
      return { Body: body(JSON.stringify({
        runId, status: 'succeeded', answer: 'The correct answer is (B)', stopReason: 'final', iterations: 3,
        usage: { rootInputTokens: 100, rootOutputTokens: 20, rootCacheReadTokens: 0, rootCacheWriteTokens: 0, subInputTokens: 50, subOutputTokens: 5, subCalls: 1 },
        costUsd: 0.0123, elapsedMs: 4567,
      })) };
    });

    const target = await describeStackTarget(new CloudFormationClient({ region: 'us-east-1' }), 'RlmPipeline');
    expect(target).toEqual({ stackName: 'RlmPipeline', bucketName: 'rlm-bucket', stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:rlm' });
    const runner = new StackRlmRunner({
      target, s3: new S3Client({ region: 'us-east-1' }), sfn: new SFNClient({ region: 'us-east-1' }),
      runOptions: { rootModelId: SONNET }, sleep: async () => {},
    });
    const r = await answerRlm(plantedRecord(0), runner);
    expect(r).toMatchObject({ success: true, predicted: 'B', correct: true, rootTokens: 120, subTokens: 55, costUsd: 0.0123, latencyMs: 4567, iterations: 3 });

    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put.Bucket).toBe('rlm-bucket');
    expect(put.Key).toMatch(/^documents\/eval\/eval-rec-0-[0-9a-f]{6}\/context\.txt$/);
    expect(put.Body).toContain('The vault code of project-0 is BLUE-22.');
    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(start.name).toBe(r.runId);
    const request = JSON.parse(start.input!);
    expect(request).toMatchObject({ documents: [{ uri: `s3://rlm-bucket/${put.Key}`, name: 'context.txt' }], options: { rootModelId: SONNET } });
    expect(request.question).toMatch(/^What is the correct answer to this question: What is the vault code of project-0\?\nChoices:\n\(A\) RED-11/);
    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input.Key).toBe(`results/${r.runId}/result.json`);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
    cfn.restore(); s3.restore(); sfn.restore();
  });

  it('names a missing output, and reports a failed execution without a result as unsuccessful', async () => {
    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'X', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'BucketName', OutputValue: 'b' }] }] });
    await expect(describeStackTarget(new CloudFormationClient({ region: 'us-east-1' }), 'X')).rejects.toThrow('stack X has no output StateMachineArn');
    cfn.restore();

    const s3 = mockClient(S3Client);
    const sfn = mockClient(SFNClient);
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec', startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'States.Timeout', cause: 'took too long' } as never);
    const runner = new StackRlmRunner({
      target: { stackName: 'X', bucketName: 'b', stateMachineArn: 'arn:sm' },
      s3: new S3Client({ region: 'us-east-1' }), sfn: new SFNClient({ region: 'us-east-1' }), sleep: async () => {},
    });
    const r = await answerRlm(plantedRecord(0), runner);
    expect(r).toMatchObject({ success: false, correct: false, predicted: null, stopReason: 'error', error: 'States.Timeout: took too long' });
    s3.restore(); sfn.restore();
  });
});
