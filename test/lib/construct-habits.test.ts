/** CDK habits of RlmPipeline: grants, metrics, optional dashboard and alarms, cost-allocation tags. */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { RlmPipeline } from '../../lib/rlm-pipeline';
import { synth, testApp } from './helpers';

type Json = Record<string, any>;

function pipelineIn(props: ConstructorParameters<typeof RlmPipeline>[2] = {}) {
  const stack = new Stack(testApp(), 'Consumer');
  const pipeline = new RlmPipeline(stack, 'Rlm', props);
  return { stack, pipeline };
}

const actionsOf = (template: Template, roleId: string): string[] => Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Json>)
  .filter((p) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId))
  .flatMap((p) => (p.Properties.PolicyDocument.Statement as Json[]).flatMap((s) => [s.Action].flat()));

it('grantStartRun lets a role upload documents and start and follow run executions; grantReadResults reads results', () => {
  const { stack, pipeline } = pipelineIn();
  const starter = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  pipeline.grantStartRun(starter);
  pipeline.grantReadResults(reader);
  const template = Template.fromStack(stack);
  const starterId = stack.getLogicalId(starter.node.defaultChild as iam.CfnRole);
  const readerId = stack.getLogicalId(reader.node.defaultChild as iam.CfnRole);
  expect(actionsOf(template, starterId)).toEqual(expect.arrayContaining(['states:StartExecution', 's3:PutObject', 'states:DescribeExecution']));
  expect(actionsOf(template, starterId)).not.toContain('s3:GetObject*');
  expect(actionsOf(template, readerId)).toEqual(expect.arrayContaining(['s3:GetObject*', 'dynamodb:GetItem', 'dynamodb:Query']));
  expect(actionsOf(template, readerId)).not.toContain('states:StartExecution');
  const json = JSON.stringify(template.toJSON().Resources);
  expect(json).toContain('/documents/*');
  expect(json).toContain('/results/*');
});

it('metric helpers name what the Lambdas emit (namespace RlmPipeline, service dimension)', () => {
  const { pipeline } = pipelineIn();
  expect(pipeline.metricRunsFailed()).toMatchObject({ namespace: 'RlmPipeline', metricName: 'RunsFailed', dimensions: { service: 'rlm-pipeline' } });
  expect(pipeline.metricTurns().metricName).toBe('Turns');
  expect(pipeline.metricSubCalls().metricName).toBe('SubCalls');
  expect(pipeline.metricCostUsd().metricName).toBe('CostUsd');
  expect(pipeline.metricTokens().expression).toBe('input + output');
});

it('adds no dashboard and no alarms unless asked, and tags every resource for cost allocation', () => {
  const { template } = synth();
  expect(template.findResources('AWS::CloudWatch::Dashboard')).toEqual({});
  expect(template.findResources('AWS::CloudWatch::Alarm')).toEqual({});
  template.hasResourceProperties('AWS::DynamoDB::Table', { Tags: Match.arrayWith([{ Key: 'rlm-pipeline', Value: 'Pipeline' }]) });
  template.hasResourceProperties('AWS::Lambda::Function', { Tags: Match.arrayWith([{ Key: 'rlm-pipeline', Value: 'Pipeline' }]) });
});

it('builds the dashboard and the five alarms, wired to the topic', () => {
  const { stack } = pipelineIn({ dashboard: true, costAllocationTags: { team: 'search' } });
  const topicStack = stack;
  const topic = new sns.Topic(topicStack, 'Alerts');
  new RlmPipeline(stack, 'Rlm2', { alarms: { dailyCostThresholdUsd: 25, topic } });
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Json>).map((a) => a.Properties);
  expect(alarms.map((a) => a.MetricName ?? 'math').sort()).toEqual(['ApproximateNumberOfMessagesVisible', 'CostUsd', 'ExecutionsFailed', 'ExecutionsTimedOut', 'RunsFailed']);
  const cost = alarms.find((a) => a.MetricName === 'CostUsd')!;
  expect(cost).toMatchObject({ Threshold: 25, Period: 86400, ComparisonOperator: 'GreaterThanThreshold', Namespace: 'RlmPipeline' });
  for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alerts/) }]);
  template.hasResourceProperties('AWS::DynamoDB::Table', { Tags: Match.arrayWith([{ Key: 'team', Value: 'search' }]) });
});
