/**
 * `RlmPipelineStack`: one `RlmPipeline` plus the outputs the `rlm submit` CLI reads by key
 * (`STACK_OUTPUT_KEYS` in `stack-outputs.ts`, importable without aws-cdk-lib).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RlmPipeline, type RlmPipelineProps } from './rlm-pipeline';
import { STACK_OUTPUT_KEYS } from './stack-outputs';

export { DEFAULT_STACK_NAME, STACK_OUTPUT_KEYS } from './stack-outputs';

/** Props of `RlmPipelineStack`. */
export interface RlmPipelineStackProps extends StackProps {
  /** Pipeline configuration and network options (validated at synth). */
  readonly pipeline?: RlmPipelineProps;
}

/** The deployable stack. */
export class RlmPipelineStack extends Stack {
  /** The pipeline construct. */
  readonly pipeline: RlmPipeline;

  constructor(scope: Construct, id: string, props: RlmPipelineStackProps = {}) {
    super(scope, id, {
      description: 'rlm-pipeline: Recursive Language Models on Step Functions, Lambda, DynamoDB and AgentCore Code Interpreter',
      ...props,
    });
    this.pipeline = new RlmPipeline(this, 'Pipeline', props.pipeline);
    const p = this.pipeline;
    const outputs: Record<keyof typeof STACK_OUTPUT_KEYS, [string, string]> = {
      bucketName: [p.bucket.bucketName, 'Bucket for documents/ (inputs), inbox/, jobs/, batches/ and results/'],
      tableName: [p.table.tableName, 'DynamoDB conversation table (run and turn items)'],
      stateMachineArn: [p.stateMachine.stateMachineArn, 'Run state machine; start-execution --name <runId>'],
      codeInterpreterId: [p.codeInterpreter.codeInterpreterId, 'AgentCore Code Interpreter (sandbox) ID'],
      eventBusName: [p.eventBus.eventBusName, 'EventBridge bus of RLM Run Succeeded / RLM Run Failed events'],
      batchStateMachineArn: [p.batches.stateMachine.stateMachineArn, 'Batch state machine for batches/pending/*.jsonl; start-execution --input {}'],
    };
    for (const [key, [value, description]] of Object.entries(outputs) as Array<[keyof typeof STACK_OUTPUT_KEYS, [string, string]]>) {
      new CfnOutput(this, STACK_OUTPUT_KEYS[key], { value, description });
    }
  }
}
