/**
 * The run state machine: Step Functions STANDARD, deployed from THE definition in
 * `state-machine-definition.ts` (the same object the local runner executes) with the four Lambda ARNs
 * filled in by `definitionSubstitutions`. No second definition exists in CDK constructs.
 *
 * Logging is ALL without execution data: state inputs/outputs carry only IDs and counters, but the
 * execution input holds the question, and transcripts stay in DynamoDB, not in logs.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stateMachineLogGroup } from './log-groups';
import { acknowledge } from './nag';
import type { PipelineConfig } from './pipeline-config';
import type { RunFunctionKey } from './run-functions';
import { buildRunDefinition, FUNCTION_ARN_SUBSTITUTIONS } from './state-machine-definition';

/** Props of `RunStateMachine`. */
export interface RunStateMachineProps {
  readonly config: PipelineConfig;
  /** The task functions, keyed like `FUNCTION_ARN_SUBSTITUTIONS`. */
  readonly functions: Record<RunFunctionKey, lambda.IFunction>;
}

/** The definition string the stack deploys (exactly what the local runner executes, serialised). */
export function deployedDefinitionString(): string {
  return JSON.stringify(buildRunDefinition());
}

/** The state machine, its role and its log group. */
export class RunStateMachine extends Construct {
  /** The state machine (execution name = run ID). */
  readonly stateMachine: sfn.StateMachine;
  /** Execution history log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RunStateMachineProps) {
    super(scope, id);
    const { functions, config } = props;
    this.logGroup = stateMachineLogGroup(this, 'Logs', config);

    const definitionSubstitutions: Record<string, string> = {};
    for (const key of Object.keys(FUNCTION_ARN_SUBSTITUTIONS) as RunFunctionKey[]) {
      definitionSubstitutions[FUNCTION_ARN_SUBSTITUTIONS[key]] = functions[key].functionArn;
    }

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(deployedDefinitionString()),
      definitionSubstitutions,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
      comment: 'rlm-pipeline: one root-LLM turn per Lambda invocation',
    });
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({
      sid: 'InvokeRunFunctions',
      actions: ['lambda:InvokeFunction'],
      resources: Object.values(functions).map((fn) => fn.functionArn),
    }));

    const role = this.stateMachine.role;
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]',
      'CloudWatch Logs vended-log delivery (logs:CreateLogDelivery, PutResourcePolicy, ...) and X-Ray (PutTraceSegments, '
      + 'GetSamplingRules, ...) do not support resource-level permissions; Step Functions requires them on "*" for logging and tracing.');
  }
}
