/**
 * Names the deployed stack is found by: its default name and the keys of its CloudFormation outputs.
 *
 * Pure data with no aws-cdk-lib import, so the `rlm` CLI (`rlm submit`) can read the outputs of a
 * deployed stack (DescribeStacks) without loading the CDK.
 */

/** Default CloudFormation stack name; override with `-c stackName=...`. */
export const DEFAULT_STACK_NAME = 'RlmPipeline';

/** Output keys of `RlmPipelineStack`. */
export const STACK_OUTPUT_KEYS = {
  /** The bucket for documents (`documents/`, `inbox/`) and results (`results/`). */
  bucketName: 'BucketName',
  /** The DynamoDB conversation table. */
  tableName: 'TableName',
  /** The run state machine; start a run with StartExecution (execution name = run ID). */
  stateMachineArn: 'StateMachineArn',
  /** The AgentCore Code Interpreter the runs use as their sandbox. */
  codeInterpreterId: 'CodeInterpreterId',
  /** The EventBridge bus that receives `RLM Run Succeeded` / `RLM Run Failed`. */
  eventBusName: 'EventBusName',
  /** The batch state machine (`batches/pending/*.jsonl`); start it by hand or let the schedule do it. */
  batchStateMachineArn: 'BatchStateMachineArn',
} as const;

/** One of the output keys. */
export type StackOutputKey = (typeof STACK_OUTPUT_KEYS)[keyof typeof STACK_OUTPUT_KEYS];
