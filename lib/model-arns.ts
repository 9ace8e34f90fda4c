/**
 * IAM resources for calling Bedrock models: the one rule every role in the stack follows.
 *
 * - A plain model ID (`anthropic.claude-haiku-4-5-20251001-v1:0`) is invoked in this region only:
 *   `arn:<partition>:bedrock:<region>::foundation-model/<id>`.
 * - A system (cross-region) inference-profile ID (`us.anthropic.claude-haiku-4-5-20251001-v1:0`) needs
 *   the profile in this account and region AND the foundation model in every region the profile may
 *   route to: `arn:<partition>:bedrock:<region>:<account>:inference-profile/<id>` plus
 *   `arn:<partition>:bedrock:*::foundation-model/<id without the geography prefix>`.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { INFERENCE_PROFILE_PREFIXES } from './pipeline-config';

/** The Bedrock actions Converse and ConverseStream need. */
export const BEDROCK_INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] as const;

/** The foundation-model ID behind an inference-profile ID, or undefined for a plain model ID. */
export function foundationModelOfProfile(modelId: string): string | undefined {
  const dot = modelId.indexOf('.');
  const prefix = dot > 0 ? modelId.slice(0, dot) : '';
  return INFERENCE_PROFILE_PREFIXES.includes(prefix) ? modelId.slice(dot + 1) : undefined;
}

/** The ARNs a principal needs to invoke `modelId` from `scope`'s stack (see the file comment). */
export function bedrockModelArns(scope: IConstruct, modelId: string): string[] {
  const stack = Stack.of(scope);
  const foundation = foundationModelOfProfile(modelId);
  if (foundation === undefined) {
    return [`arn:${Aws.PARTITION}:bedrock:${stack.region}::foundation-model/${modelId}`];
  }
  return [
    `arn:${Aws.PARTITION}:bedrock:${stack.region}:${stack.account}:inference-profile/${modelId}`,
    `arn:${Aws.PARTITION}:bedrock:*::foundation-model/${foundation}`,
  ];
}

/** One statement allowing Converse/ConverseStream on exactly `modelIds` (deduplicated ARNs). */
export function bedrockInvokeStatement(scope: IConstruct, modelIds: readonly string[]): iam.PolicyStatement {
  const resources = [...new Set(modelIds.flatMap((id) => bedrockModelArns(scope, id)))];
  return new iam.PolicyStatement({ sid: 'InvokeConfiguredModels', actions: [...BEDROCK_INVOKE_ACTIONS], resources });
}
