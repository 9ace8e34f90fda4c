/**
 * `rlm-pipeline`: the programmatic API (run RLMs on this machine from code) and the core types.
 * The CDK construct is in `rlm-pipeline/cdk`.
 */
export { runRlm, type RunRlmOptions, type RunSettings, type LlmOption } from './api/run-rlm';
export { runBatch, type RunBatchOptions } from './api/run-batch';
export type { BatchOutcome } from './bin/commands/batch';
export { LocalEngine, type LocalEngineOptions } from './bin/local/local-engine';
export { DEFAULT_RUN_CONFIG, DEFAULT_ROOT_MODEL_ID, DEFAULT_SUB_MODEL_ID, resolveRunConfig } from './lambdas/core/config';
export * from './lambdas/core/errors';
export type * from './lambdas/core/types';
export type * from './lambdas/core/ports';
export type { PriceTable } from './lambdas/core/pricing';
export { validatePriceTable } from './lambdas/core/pricing';
export { createLanguageModel, OpenAICompatibleModel, ScriptedModel, RecordingModel, type Script } from './lambdas/adapters/models';
export { BedrockConverseModel } from './lambdas/adapters/models/bedrock-model';
export type { BatchResultLine, BatchSummary } from './lambdas/core/batch/results';
export { SETTINGS, RUN_SETTING_NAMES, type SettingSpec, type SettingName } from './lambdas/core/settings';
export { FILE_SCHEMAS, fileJsonSchemas } from './lambdas/core/file-schemas';
