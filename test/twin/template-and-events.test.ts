/**
 * The twin's own logic, without starting it: intrinsic resolution against twin physical IDs, the
 * EventBridge pattern matcher (against the template's real rule), S3 request classification for faults.
 */
import type { IncomingMessage } from 'node:http';
import { operationOf } from '../../twin/aws-proxy/aws-proxy';
import { matchesEventPattern, objectCreatedEvent } from '../../twin/aws-proxy/s3-events';
import { parseTwinArgs } from '../../twin/run-twin';
import { NO_STATE_TIMEOUT_SECONDS, withoutLocalTaskTimeouts } from '../../twin/stepfunctions/executions';
import { functionShortName } from '../../twin/twin';
import { TwinTemplate, type Template } from '../../twin/template';

const template: Template = {
  Resources: {
    Bucket: { Type: 'AWS::S3::Bucket' },
    Fn: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: {
      B: { Ref: 'Bucket' },
      ARN: { 'Fn::GetAtt': ['Fn', 'Arn'] },
      J: { 'Fn::Join': ['/', ['a', { Ref: 'AWS::Region' }, { Ref: 'Bucket' }]] },
      S: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' },
      S2: { 'Fn::Sub': ['${X}-${Fn.Arn}', { X: { Ref: 'AWS::AccountId' } }] },
    } } } },
    Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {
      DefinitionString: { 'Fn::Join': ['', ['{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${FnArn}","End":true,"Comment":"', { Ref: 'Bucket' }, '"}}}']] },
      DefinitionSubstitutions: { FnArn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
    } },
  },
  Outputs: { BucketName: { Value: { Ref: 'Bucket' } } },
};

test('Ref, GetAtt, Join, Sub and DefinitionSubstitutions resolve to the twin physical IDs', () => {
  const t = new TwinTemplate(template, 'MyStack');
  const bucket = t.physical.Bucket.ref;
  expect(bucket).toMatch(/^mystack-bucket-[0-9a-f]{8}$/);
  const fnArn = t.physical.Fn.attrs.Arn;
  expect(fnArn).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:MyStack-Fn-[0-9a-f]{8}$/);
  expect((t.props('Fn').Environment as { Variables: Record<string, string> }).Variables).toEqual({
    B: bucket, ARN: fnArn, J: `a/us-east-1/${bucket}`, S: `arn:aws:s3:::${bucket}/*`, S2: `123456789012-${fnArn}`,
  });
  const def = t.stateMachineDefinition('Machine') as { States: { A: { Resource: string; Comment: string } } };
  expect(def.States.A).toEqual(expect.objectContaining({ Resource: fnArn, Comment: bucket }));
  expect(t.outputs()).toEqual({ BucketName: bucket });
});

test('an unknown resource or an unsupported intrinsic is an error naming it', () => {
  const t = new TwinTemplate({ Resources: { X: { Type: 'AWS::S3::Bucket', Properties: { A: { Ref: 'Nope' }, B: { 'Fn::If': ['c', 1, 2] } } } } }, 'S');
  expect(() => t.resolve({ Ref: 'Nope' })).toThrow(/unknown resource Nope/);
  expect(() => t.resolve({ 'Fn::If': ['c', 1, 2] })).toThrow(/Fn::If/);
  expect(() => t.resolve({ 'Fn::GetAtt': ['X', 'Nothing'] })).toThrow(/X\.Nothing/);
});

const rulePattern = {
  source: ['aws.s3'], 'detail-type': ['Object Created'],
  detail: { bucket: { name: ['b1'] }, object: { key: [{ wildcard: 'jobs/*.json' }, { prefix: 'inbox/' }] } },
};
const event = (bucket: string, key: string) => objectCreatedEvent({ bucket, key, size: 1, reason: 'PutObject' }, '123456789012', 'us-east-1') as unknown as Record<string, unknown>;

test.each([
  ['b1', 'jobs/a.json', true], ['b1', 'jobs/sub/a.json', true], ['b1', 'inbox/p/doc.txt', true],
  ['b1', 'jobs/a.txt', false], ['b1', 'documents/jobs/a.json', false], ['b2', 'jobs/a.json', false], ['b1', 'inboxx', false],
])('the trigger rule pattern on bucket %s key %s: %s', (bucket, key, expected) => {
  expect(matchesEventPattern(rulePattern, event(bucket, key))).toBe(expected);
});

test('pattern operators: exists, anything-but, suffix; unsupported ones are refused', () => {
  const e = { detail: { a: 'x.txt', n: 3 } };
  expect(matchesEventPattern({ detail: { a: [{ suffix: '.txt' }] } }, e)).toBe(true);
  expect(matchesEventPattern({ detail: { b: [{ exists: false }] } }, e)).toBe(true);
  expect(matchesEventPattern({ detail: { a: [{ exists: false }] } }, e)).toBe(false);
  expect(matchesEventPattern({ detail: { a: [{ 'anything-but': ['x.txt'] }] } }, e)).toBe(false);
  expect(() => matchesEventPattern({ detail: { n: [{ numeric: ['>', 1] }] } }, e)).toThrow(/does not support/);
});

const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers }) as unknown as IncomingMessage;
const s3Auth = { authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x' };

test('fault points are found by X-Amz-Target (DynamoDB) and by method and path (S3 PutObject, not Copy or parts)', () => {
  expect(operationOf(req('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.PutItem' })).point).toBe('dynamodb.PutItem');
  expect(operationOf(req('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.UpdateItem' })).point).toBe('dynamodb.UpdateItem');
  expect(operationOf(req('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.GetItem' })).point).toBeUndefined();
  expect(operationOf(req('PUT', '/bucket/results/r/result.json', s3Auth))).toEqual(expect.objectContaining({ point: 's3.PutObject', s3Create: 'PutObject' }));
  const copy = operationOf(req('PUT', '/bucket/k', { ...s3Auth, 'x-amz-copy-source': '/bucket/j' }));
  expect([copy.point, copy.s3Create]).toEqual([undefined, 'CopyObject']);
  expect(operationOf(req('PUT', '/bucket/k?partNumber=1&uploadId=u', s3Auth)).point).toBeUndefined();
  expect(operationOf(req('PUT', '/bucket', s3Auth)).point).toBeUndefined();
  expect(operationOf(req('POST', '/bucket/k?uploadId=u', s3Auth)).s3Create).toBe('CompleteMultipartUpload');
});

test('function short names come from the CDK path', () => {
  expect(functionShortName('RlmPipeline/Pipeline/Functions/RootTurn/Resource')).toBe('RootTurn');
  expect(functionShortName('RlmPipeline/Pipeline/Triggers/Function/Resource')).toBe('Triggers');
  expect(functionShortName('RlmPipeline/Pipeline/Batches/ListPendingFunction/Resource')).toBe('ListPending');
});

test('npm run twin takes the rlm run flags: --llm must be scripted:FILE, the rest goes to rlm submit', () => {
  const parsed = parseTwinArgs(['--llm', 'scripted:s.json', '--document', 'a', '--document', 'b', '--question', 'q?', '--max-iterations', '4', '--output', 'json', '--quiet']);
  expect(parsed.script).toBe('s.json');
  expect(parsed.quiet).toBe(true);
  expect(parsed.submitArgs).toEqual(['--document', 'a', '--document', 'b', '--question', 'q?', '--max-iterations', '4', '--output', 'json', '--quiet']);
  expect(() => parseTwinArgs(['--llm', 'bedrock', '--question', 'q'])).toThrow(/scripted:FILE.*"bedrock"/);
  expect(() => parseTwinArgs(['--record', 'x'])).toThrow(/record/);
});

test('Tasks get no local 60 s state timeout (AWS sets none), nested ones too; explicit timeouts stay', () => {
  const def = {
    StartAt: 'A', States: {
      A: { Type: 'Task', Resource: 'x', Next: 'M' },
      B: { Type: 'Task', Resource: 'x', TimeoutSeconds: 5, End: true },
      M: { Type: 'Map', ItemProcessor: { StartAt: 'C', States: { C: { Type: 'Task', Resource: 'y', End: true } } }, Next: 'B' },
    },
  };
  type States = Record<string, Record<string, unknown>>;
  const out = withoutLocalTaskTimeouts(def) as { States: States };
  expect(out.States.A.TimeoutSeconds).toBe(NO_STATE_TIMEOUT_SECONDS);
  expect(out.States.B.TimeoutSeconds).toBe(5);
  expect((out.States.M.ItemProcessor as { States: States }).States.C.TimeoutSeconds).toBe(NO_STATE_TIMEOUT_SECONDS);
  expect((def.States.A as unknown as Record<string, unknown>).TimeoutSeconds).toBeUndefined();
});
