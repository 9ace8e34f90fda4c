/** The deployed state machine IS the shared definition: same string, four substitutions, its loop, retries and catches. */
import type { Template } from 'aws-cdk-lib/assertions';
import { RETRYABLE_ERROR_NAMES } from '../../lambdas/core/errors';
import {
  buildRunDefinition, FUNCTION_ARN_SUBSTITUTIONS, RETRYABLE_ERRORS, TASK_STATES,
} from '../../lib/state-machine-definition';
import { actionsOf, functionLogicalId, resourcesOf, statementsOfRole, statementsWith, synth } from './helpers';

let template: Template;
let sm: Record<string, any>;
let def: Record<string, any>;

beforeAll(() => {
  ({ template } = synth());
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Array<Record<string, any>>;
  // The stack has two machines: the run machine (the shared definition) and the batch machine.
  const runMachines = machines.filter((m) => m.Properties.DefinitionSubstitutions?.[FUNCTION_ARN_SUBSTITUTIONS.rootTurn]);
  expect(runMachines).toHaveLength(1);
  sm = runMachines[0];
  def = JSON.parse(sm.Properties.DefinitionString);
});

test('the DefinitionString is exactly JSON.stringify(buildRunDefinition()) — one definition, not two', () => {
  expect(sm.Properties.DefinitionString).toBe(JSON.stringify(buildRunDefinition()));
});

test('the substitutions point each ${...FunctionArn} at its function', () => {
  const names = { startRun: 'StartRun', rootTurn: 'RootTurn', finalizeRun: 'FinalizeRun', recordFailure: 'RecordFailure' } as const;
  const expected = Object.fromEntries((Object.keys(names) as Array<keyof typeof names>).map((k) => [
    FUNCTION_ARN_SUBSTITUTIONS[k], { 'Fn::GetAtt': [functionLogicalId(template, names[k]), 'Arn'] },
  ]));
  expect(sm.Properties.DefinitionSubstitutions).toEqual(expected);
  for (const key of Object.values(FUNCTION_ARN_SUBSTITUTIONS)) expect(sm.Properties.DefinitionString).toContain('${' + key + '}');
});

test('STANDARD, logging ALL without execution data, tracing on', () => {
  expect(sm.Properties).toMatchObject({
    StateMachineType: 'STANDARD',
    LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    TracingConfiguration: { Enabled: true },
  });
  const logGroupId = sm.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
  expect(template.toJSON().Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 } });
});

test('the loop: StartRun -> RootTurn -> IsDone -> RootTurn until done -> FinalizeRun', () => {
  expect(def.StartAt).toBe(TASK_STATES.startRun);
  expect(def.States[TASK_STATES.startRun].Next).toBe(TASK_STATES.rootTurn);
  expect(def.States[TASK_STATES.rootTurn].Next).toBe('IsDone');
  expect(def.States.IsDone).toMatchObject({
    Type: 'Choice', Default: TASK_STATES.rootTurn,
    Choices: [{ Variable: '$.done', BooleanEquals: true, Next: TASK_STATES.finalizeRun }],
  });
  expect(def.States[TASK_STATES.finalizeRun].End).toBe(true);
});

test('tasks retry the named retryable errors with jittered backoff', () => {
  for (const name of RETRYABLE_ERROR_NAMES) expect(RETRYABLE_ERRORS).toContain(name);
  for (const state of [TASK_STATES.startRun, TASK_STATES.rootTurn, TASK_STATES.finalizeRun, TASK_STATES.recordFailure]) {
    const retry = def.States[state].Retry;
    expect(retry).toHaveLength(1);
    expect(retry[0]).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: 2 });
    // Lambda.Unknown is how a Lambda timeout arrives, Runtime.ExitError a killed container: safe to retry with recorded steps.
    expect(retry[0].ErrorEquals).toEqual(expect.arrayContaining([
      ...RETRYABLE_ERROR_NAMES, 'Lambda.TooManyRequestsException', 'Lambda.Unknown', 'Lambda.ClientExecutionTimeoutException', 'Runtime.ExitError',
      'DocumentStoreUnavailableError',
    ]));
    expect(retry[0].ErrorEquals).not.toContain('States.ALL');
  }
});

test('every task catches States.ALL into RecordFailure, which ends in a Fail state, and has a Catch of its own', () => {
  for (const state of [TASK_STATES.startRun, TASK_STATES.rootTurn, TASK_STATES.finalizeRun]) {
    expect(def.States[state].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: TASK_STATES.recordFailure }]);
  }
  const record = def.States[TASK_STATES.recordFailure];
  expect(def.States[record.Next].Type).toBe('Fail');
  expect(record.Catch).toHaveLength(1);
  expect(record.Catch[0].ErrorEquals).toEqual(['States.ALL']);
  expect(def.States[record.Catch[0].Next].Type).toBe('Fail');
});

test('the state machine role may invoke exactly the four functions', () => {
  const roleId = sm.Properties.RoleArn['Fn::GetAtt'][0];
  const invoke = statementsWith(statementsOfRole(template, roleId), 'lambda:InvokeFunction');
  expect(actionsOf(invoke)).toEqual(['lambda:InvokeFunction']);
  expect(resourcesOf(invoke).sort()).toEqual(
    ['StartRun', 'RootTurn', 'FinalizeRun', 'RecordFailure'].map((n) => `<${functionLogicalId(template, n)}.Arn>`).sort(),
  );
});
