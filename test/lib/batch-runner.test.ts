/**
 * CDK assertions for the batch runner: the batch state machine (Distributed Map of child runs), the
 * schedule and its role, and the IAM of the machine and its three Lambdas; cdk-nag on those constructs.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ConfigError } from '../../lambdas/core/errors';
import { BatchRunner, type BatchRunnerProps } from '../../lib/batch-runner';
import { resolvePipelineConfig } from '../../lib/pipeline-config';
import { actionsOf, nagFindings, resourcesOf, roleOfFunction, statementsOfRole, statementsWith, testApp } from './helpers';

type Json = Record<string, any>;

function batchStack(props: Partial<BatchRunnerProps> = {}) {
  const stack = new Stack(testApp(), 'Batches');
  const bucket = new s3.Bucket(stack, 'Bucket');
  const runStateMachine = new sfn.StateMachine(stack, 'Runs', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Run')) });
  const runner = new BatchRunner(stack, 'BatchRunner', { config: resolvePipelineConfig({}), bucket, runStateMachine, ...props });
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  return { stack, runner, template: Template.fromStack(stack), ids: { bucket: id(bucket), runs: id(runStateMachine), batch: id(runner.stateMachine) } };
}

/** The batch definition as JSON, CloudFormation tokens rendered as `REF`. */
function definitionOf(template: Template, logicalId: string): Json {
  const parts = (template.toJSON().Resources[logicalId] as Json).Properties.DefinitionString['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REF')).join(''));
}

describe('BatchRunner', () => {
  const { stack, runner, template, ids } = batchStack({ schedule: 'cron(0 2 * * ? *)', maxConcurrency: 7 });
  const def = definitionOf(template, ids.batch);
  const map = def.States.RunItems;

  it('loops over pending manifests: list, prepare, Distributed Map, summarize', () => {
    expect(def.StartAt).toBe('CheckNoOtherBatch');
    expect(def.States.CheckNoOtherBatch).toMatchObject({
      Resource: 'arn:REF:states:::aws-sdk:sfn:listExecutions', Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', StatusFilter: 'RUNNING' }, Next: 'OnlyBatchRunning',
    });
    expect(def.States.OnlyBatchRunning).toMatchObject({ Choices: [{ Variable: '$.guard.running', NumericGreaterThan: 1, Next: 'AnotherBatchIsRunning' }], Default: 'Init' });
    expect(def.States.AnyPending.Choices).toEqual([{ Variable: '$.next', IsPresent: true, Next: 'PrepareBatch' }]);
    expect([def.States.PrepareBatch.Next, map.Next, def.States.SummarizeBatch.Next, def.States.CountProcessed.Next]).toEqual(['RunItems', 'SummarizeBatch', 'CountProcessed', 'ListPending']);
    expect(def.States.PrepareBatch.Catch).toEqual([{ ErrorEquals: ['BatchStateError'], ResultPath: null, Next: 'ListPending' }]);
    expect(def.States.Init.Parameters).toEqual({ processed: 0 });
  });

  it('runs each item as a child execution of the run machine in a Distributed Map, bounded and failure-tolerant', () => {
    expect(map).toMatchObject({
      Type: 'Map', MaxConcurrency: 7, ToleratedFailurePercentage: 100, ResultPath: null,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'StartRun' },
      ItemReader: { Resource: 'arn:REF:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Key.$': '$.batch.itemsKey' } },
    });
    const start = map.ItemProcessor.States.StartRun;
    expect(start.Resource).toBe('arn:REF:states:::states:startExecution.sync:2');
    expect(start.Parameters).toMatchObject({
      'Name.$': '$.runId',
      Input: { 'question.$': '$.request.question', 'documents.$': '$.request.documents', 'options.$': '$.request.options', 'tags.$': '$.request.tags' },
    });
    expect(start.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.outcome', Next: 'WriteItemRecord' }]);
    const write = map.ItemProcessor.States.WriteItemRecord;
    expect(write).toMatchObject({
      Resource: 'arn:REF:states:::aws-sdk:s3:putObject', OutputPath: '$.index', ResultPath: null, End: true,
      Parameters: { 'Key.$': "States.Format('batches/work/{}/items/{}.json', $.batchId, $.index)", 'Body.$': 'States.JsonToString($.outcome)' },
    });
    // The child's StateMachineArn is the run machine.
    const joined = JSON.stringify((template.toJSON().Resources[ids.batch] as Json).Properties.DefinitionString);
    expect(joined).toContain(`{"Ref":"${ids.runs}"}`);
  });

  it('is started by EventBridge Scheduler on the cron expression, through a role that may start only it', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)', FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: { Ref: ids.batch }, RetryPolicy: { MaximumRetryAttempts: 3 } },
    });
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as Json;
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({
      trigger: 'schedule', scheduleArn: '<aws.scheduler.schedule-arn>', scheduledTime: '<aws.scheduler.scheduled-time>',
      scheduleExecutionId: '<aws.scheduler.execution-id>', attemptNumber: '<aws.scheduler.attempt-number>',
    });
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0] as string;
    const statements = statementsOfRole(template, roleId);
    expect(actionsOf(statements)).toEqual(['states:StartExecution']);
    expect(resourcesOf(statements)).toEqual([`<${ids.batch}>`]);
    expect((template.toJSON().Resources[roleId] as Json).Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
  });

  it('lets the batch machine start only the run machine (and its own map children), and touch only batches/work/', () => {
    const roleId = stack.getLogicalId(runner.stateMachine.role.node.defaultChild as never);
    const statements = statementsOfRole(template, roleId);
    expect(resourcesOf(statementsWith(statements, 'states:StartExecution')).sort()).toEqual([`<${ids.batch}>`, `<${ids.runs}>`].sort());
    expect(resourcesOf(statements.filter((s) => actionsOf([s]).some((a) => a.toLowerCase().startsWith('s3:')))))
      .toEqual([`<${ids.bucket}.Arn>/batches/work/*`, `<${ids.bucket}.Arn>/batches/work/*`]);
    expect(resourcesOf(statementsWith(statements, 'lambda:InvokeFunction')).filter((r) => !r.endsWith(':*'))).toHaveLength(3);
    expect(resourcesOf(statementsWith(statements, 'states:ListExecutions'))).toEqual([`<${ids.batch}>`]);
  });

  it('gives each batch Lambda only the prefixes its step uses', () => {
    const s3Grants = (fn: { node: { defaultChild?: unknown } }) => {
      const statements = statementsOfRole(template, roleOfFunction(template, stack.getLogicalId(fn.node.defaultChild as never)));
      return statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')))
        .flatMap((s) => actionsOf([s]).map((a) => `${a} ${resourcesOf([s]).map((r) => r.replace(`<${ids.bucket}.Arn>`, '')).sort().join(',')}${s.Condition ? ` if ${JSON.stringify(s.Condition.StringLike['s3:prefix'])}` : ''}`)).sort();
    };
    expect(s3Grants(runner.functions.listPending)).toEqual(['s3:ListBucket  if ["batches/pending/*"]']);
    expect(s3Grants(runner.functions.prepare)).toEqual(['s3:GetObject /batches/pending/*', 's3:ListBucket  if ["batches/pending/*"]', 's3:PutObject /batches/work/*']);
    expect(s3Grants(runner.functions.summarize)).toEqual([
      's3:DeleteObject /batches/pending/*', 's3:GetObject /batches/pending/*,/batches/work/*,/results/*',
      's3:ListBucket  if ["batches/work/*","results/*"]', 's3:PutObject /batches/processed/*,/batches/results/*',
    ]);
  });

  it('leaves no unacknowledged cdk-nag finding on its own constructs', () => {
    expect(nagFindings(stack).filter((f) => f.includes('/BatchRunner/') || f.includes('SchedulerRole'))).toEqual([]);
  });

  it('has no schedule without one, and refuses a bad MaxConcurrency', () => {
    expect(batchStack().template.findResources('AWS::Scheduler::Schedule')).toEqual({});
    expect(() => batchStack({ maxConcurrency: 0 })).toThrow(ConfigError);
    expect(() => batchStack({ maxConcurrency: 20_000 })).toThrow(/1 to 10000/);
  });
});
