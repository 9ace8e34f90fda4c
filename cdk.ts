/**
 * `rlm-pipeline/cdk`: the RLM pipeline as CDK constructs (needs the peer dependencies `aws-cdk-lib` and
 * `constructs`). `RlmPipeline` is the whole pipeline; `RlmPipelineStack` wraps it with the outputs `rlm submit` reads.
 */
export { RlmPipeline, RUN_EVENTS, RUN_EVENT_BUS_NAME, type RlmPipelineProps } from './lib/rlm-pipeline';
export { RlmPipelineStack, DEFAULT_STACK_NAME, STACK_OUTPUT_KEYS, type RlmPipelineStackProps } from './lib/rlm-stack';
export {
  DEFAULT_PIPELINE_CONFIG, CONTEXT_KEYS, resolvePipelineConfig, pipelineConfigFromContext,
  type PipelineConfig, type PipelineConfigInput, type NetworkMode, type RemovalPolicyName,
} from './lib/pipeline-config';
export { PipelineStorage } from './lib/storage';
export { RunFunctions, type RunFunctionKey } from './lib/run-functions';
export { RunStateMachine } from './lib/run-state-machine';
export { RunTriggers } from './lib/run-triggers';
export { BatchRunner } from './lib/batch-runner';
export { SandboxCodeInterpreter } from './lib/code-interpreter';
export { SandboxNetwork, type SandboxNetworkOptions } from './lib/sandbox-network';
