/**
 * CDK assertions for the S3 upload triggers (rule, Lambda, DLQ, IAM) on a small stack with a bucket and a
 * run state machine, and cdk-nag on those constructs.
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ConfigError } from '../../lambdas/core/errors';
import { TRIGGER_ENV } from '../../lambdas/handlers/batch-env';
import { pipelineConfigFromContext, resolvePipelineConfig } from '../../lib/pipeline-config';
import { RunTriggers } from '../../lib/run-triggers';
import { actionsOf, nagFindings, resourcesOf, roleOfFunction, statementsOfRole, statementsWith, synth, testApp } from './helpers';

type Json = Record<string, any>;

/** A stack with a bucket, a stand-in run machine and the triggers. */
export function triggerStack(watchProfiles?: Record<string, unknown>) {
  const stack = new Stack(testApp(), 'Triggers');
  const bucket = new s3.Bucket(stack, 'Bucket', { eventBridgeEnabled: true });
  const runStateMachine = new sfn.StateMachine(stack, 'Runs', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Run')) });
  const triggers = new RunTriggers(stack, 'RunTriggers', {
    config: resolvePipelineConfig({}), bucket, runStateMachine, ...(watchProfiles ? { watchProfiles: watchProfiles as never } : {}),
  });
  return { stack, triggers, template: Template.fromStack(stack) };
}

const logicalId = (stack: Stack, c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

describe('RunTriggers', () => {
  const { stack, triggers, template } = triggerStack({ contracts: { questions: ['Who are the parties?'], options: { maxIterations: 6 } } });
  const bucketId = stack.getLogicalId(stack.node.findChild('Bucket').node.defaultChild as never);
  const fnId = logicalId(stack, triggers.function);

  it('routes Object Created for jobs/*.json and inbox/ in the pipeline bucket to the trigger Lambda, with retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: bucketId }] }, object: { key: [{ wildcard: 'jobs/*.json' }, { prefix: 'inbox/' }] } },
      },
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, triggers.deadLetterQueue), 'Arn'] } },
      })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: fnId }, MaximumRetryAttempts: 2 });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
  });

  it('passes the bucket, the run machine and the validated watch profiles to the Lambda', () => {
    const fn = template.toJSON().Resources[fnId] as Json;
    const env = fn.Properties.Environment.Variables;
    expect(env[TRIGGER_ENV.bucketName]).toEqual({ Ref: bucketId });
    expect(env[TRIGGER_ENV.runStateMachineArn]).toEqual({ Ref: stack.getLogicalId(stack.node.findChild('Runs').node.defaultChild as never) });
    expect(JSON.parse(env[TRIGGER_ENV.watchProfiles])).toEqual({ contracts: { questions: ['Who are the parties?'], options: { maxIterations: 6 } } });
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' }, DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId(stack, triggers.deadLetterQueue), 'Arn'] } } });
  });

  it('may read only jobs/ and inbox/, write only failure records, and start only the run state machine', () => {
    const statements = statementsOfRole(template, roleOfFunction(template, fnId));
    const s3Actions = actionsOf(statements).filter((a) => a.startsWith('s3:')).sort();
    expect(s3Actions).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:PutObject']);
    const list = statementsWith(statements, 's3:ListBucket');
    expect(list).toHaveLength(1);
    expect(list[0].Condition).toEqual({ StringLike: { 's3:prefix': ['jobs/*', 'inbox/*'] } });
    expect(resourcesOf(statementsWith(statements, 's3:GetObjectVersion'))).toEqual([`<${bucketId}.Arn>/jobs/*`]);
    expect(resourcesOf(statementsWith(statements, 's3:GetObject')).sort()).toEqual([`<${bucketId}.Arn>/inbox/*`, `<${bucketId}.Arn>/jobs/*`]);
    expect(resourcesOf(statementsWith(statements, 's3:PutObject'))).toEqual([`<${bucketId}.Arn>/jobs/*.error.json`]);
    const start = statementsWith(statements, 'states:StartExecution');
    expect(resourcesOf(start)).toEqual([`<${stack.getLogicalId(stack.node.findChild('Runs').node.defaultChild as never)}>`]);
    expect(actionsOf(statements).filter((a) => a.startsWith('states:'))).toEqual(['states:StartExecution']);
  });

  it('leaves no unacknowledged cdk-nag finding on its own constructs', () => {
    expect(nagFindings(stack).filter((f) => f.includes('/RunTriggers/'))).toEqual([]);
  });

  it('refuses invalid or oversized watch profiles at synth', () => {
    expect(() => triggerStack({ 'bad name': { questions: ['q'] } })).toThrow(ConfigError);
    expect(() => triggerStack({ big: { questions: ['x'.repeat(3100)] } })).toThrow(/limit is 3072/);
  });
});

describe('triggers and batches in RlmPipelineStack', () => {
  it('are wired from the config (context keys schedule, batchMaxConcurrency, watchProfiles) with zero nag findings', () => {
    const input = pipelineConfigFromContext((k) => ({
      schedule: 'cron(30 1 * * ? *)', batchMaxConcurrency: '12', watchProfiles: '{"contracts": {"questions": ["Who signs?"]}}',
    } as Record<string, unknown>)[k]);
    const { stack, template, pipeline } = synth(input);
    expect(pipeline.config).toMatchObject({ schedule: 'cron(30 1 * * ? *)', batchMaxConcurrency: 12, watchProfiles: { contracts: { questions: ['Who signs?'] } } });
    const runsId = stack.getLogicalId(pipeline.stateMachine.node.defaultChild as never);
    const fn = template.toJSON().Resources[stack.getLogicalId(pipeline.triggers.function.node.defaultChild as never)] as Json;
    expect(fn.Properties.Environment.Variables[TRIGGER_ENV.runStateMachineArn]).toEqual({ Ref: runsId });
    expect(JSON.parse(fn.Properties.Environment.Variables[TRIGGER_ENV.watchProfiles])).toEqual({ contracts: { questions: ['Who signs?'] } });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 1 * * ? *)' });
    expect(JSON.stringify(template.toJSON().Resources[stack.getLogicalId(pipeline.batches.stateMachine.node.defaultChild as never)])).toContain('\\"MaxConcurrency\\":12');
    expect(nagFindings(stack)).toEqual([]);
  });

  it('defaults: no schedule, no watch profiles, MaxConcurrency 10; bad values fail synth naming the key', () => {
    const { template, pipeline } = synth();
    expect(template.findResources('AWS::Scheduler::Schedule')).toEqual({});
    expect(pipeline.config.batchMaxConcurrency).toBe(10);
    expect(pipeline.config).not.toHaveProperty('watchProfiles');
    expect(() => resolvePipelineConfig({ batchMaxConcurrency: 0 })).toThrow(/^batchMaxConcurrency must be an integer from 1 to 10000/);
    expect(() => resolvePipelineConfig({ watchProfiles: '{not json' })).toThrow(/WATCH_PROFILES is not valid JSON|not valid JSON/);
  });
});
