/**
 * The stopped-run rule and its Lambda in the default stack: the event pattern on the run state machine's
 * ABORTED / TIMED_OUT / FAILED status changes, delivery retries and the DLQ, the function's size and
 * environment, its least-privilege role, and that the state machine itself may not invoke it.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../../lambdas/core/run-events';
import { LAMBDA_ENV } from '../../lambdas/handlers/lambda-env';
import { END_STOPPED_RUN_SPEC } from '../../lib/stopped-runs';
import { actionsOf, functionLogicalId, nagFindings, resourcesOf, roleOfFunction, statementsOfRole, statementsWith, synth } from './helpers';

type Json = Record<string, any>;

let template: Template;
let stack: Stack;
let fnId: string;
let statements: Json[];
let stateMachineId: string;
let queueId: string;

beforeAll(() => {
  ({ template, stack } = synth());
  fnId = functionLogicalId(template, 'EndStoppedRun');
  statements = statementsOfRole(template, roleOfFunction(template, fnId));
  stateMachineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).find((id) => id.includes('Runs'))!;
  queueId = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.includes('EndStoppedRun'))!;
});

test('a rule on the run state machine\'s ABORTED, TIMED_OUT and FAILED status changes targets EndStoppedRun, with retries and a DLQ', () => {
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: stateMachineId }], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
    },
    Targets: [Match.objectLike({
      Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    })],
  });
  template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fnId }, MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600 });
  template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  const fn = template.toJSON().Resources[fnId] as Json;
  expect(fn.Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
});

test('EndStoppedRun: Node.js 22 on arm64, X-Ray, sized like RecordFailure, with the whole LAMBDA_ENV contract', () => {
  const fn = template.toJSON().Resources[fnId] as Json;
  expect(fn.Properties).toMatchObject({
    Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' },
    Timeout: END_STOPPED_RUN_SPEC.timeoutSeconds, MemorySize: END_STOPPED_RUN_SPEC.memoryMb,
  });
  const vars = fn.Properties.Environment.Variables as Record<string, unknown>;
  for (const name of Object.values(LAMBDA_ENV)) if (name !== LAMBDA_ENV.subMaxOutputTokens) expect(vars).toHaveProperty(name);
});

test('least privilege: the run table, results/, Stop and List of this interpreter\'s sessions, the run events; nothing else', () => {
  const bucketId = Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' } } }))[0];
  const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];
  const interpreter = Object.keys(template.findResources('AWS::BedrockAgentCore::CodeInterpreterCustom'))[0];
  const of = (prefix: string) => statements.filter((s) => actionsOf([s]).some((a) => a.startsWith(prefix)));
  expect(actionsOf(of('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
  expect(resourcesOf(of('dynamodb:'))).toEqual([`<${tableId}.Arn>`]);
  expect(actionsOf(of('s3:')).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
  expect([...new Set(resourcesOf(of('s3:')))]).toEqual([`<${bucketId}.Arn>/results/*`]);
  expect(actionsOf(of('bedrock-agentcore:')).sort()).toEqual(['bedrock-agentcore:ListCodeInterpreterSessions', 'bedrock-agentcore:StopCodeInterpreterSession']);
  expect(resourcesOf(of('bedrock-agentcore:'))).toEqual([`<${interpreter}.CodeInterpreterArn>`]);
  const put = statementsWith(statements, 'events:PutEvents');
  expect(put[0].Condition).toEqual({ StringEquals: { 'events:source': EVENT_SOURCE, 'events:detail-type': Object.values(EVENT_DETAIL_TYPES) } });
  const services = new Set(actionsOf(statements).map((a) => a.split(':')[0]));
  expect([...services].sort()).toEqual(['bedrock-agentcore', 'dynamodb', 'events', 'logs', 's3', 'sqs', 'xray']);
  // sqs: its asynchronous invocations' dead letters, to its own queue only.
  expect(actionsOf(of('sqs:'))).toEqual(['sqs:SendMessage']);
  expect(resourcesOf(of('sqs:'))).toEqual([`<${queueId}.Arn>`]);
  for (const s of statements) if (resourcesOf([s]).includes('*')) expect(actionsOf([s]).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
});

test('the run state machine may invoke its four task functions, not EndStoppedRun', () => {
  const smRole = template.toJSON().Resources[stateMachineId].Properties.RoleArn['Fn::GetAtt'][0];
  const invoke = statementsWith(statementsOfRole(template, smRole), 'lambda:InvokeFunction');
  expect(resourcesOf(invoke).some((r) => r.includes(fnId))).toBe(false);
  expect(resourcesOf(invoke)).toHaveLength(4);
});

test('leaves no unacknowledged cdk-nag finding on its constructs', () => {
  expect(nagFindings(stack).filter((f) => f.includes('/EndStoppedRun/'))).toEqual([]);
});
