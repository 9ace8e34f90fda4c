/**
 * IAM resources for calling Bedrock models: the one rule every role in the stack follows.
 *
 * - A plain model ID (`anthropic.claude-haiku-4-5-20251001-v1:0`) is invoked in this region only:
 *   `arn:<partition>:bedrock:<region>::foundation-model/<id>`.
 * - A system (cross-region) inference-profile ID (`us.anthropic.claude-haiku-4-5-20251001-v1:0`) needs
 *   the profile in this account and region AND the foundation model in every region the profile may
 *   route to: `arn:<partition>:bedrock:<region>:<account>:inference-profile/<id>` plus
 *   `arn:<partition>:bedrock:*::foundation-model/<id without the geography prefix>` — the latter only
 *   through the profile (condition `bedrock:InferenceProfileArn`), so the base model cannot be called
 *   directly in any region.
 * - A profile's geography must contain the deploy region (`checkProfileGeography`), else every call fails.
 */
import { Aws, Stack, Token } from 'aws-cdk-lib';
import { ConfigError } from '../lambdas/core/errors';
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

/**
 * Statements allowing Converse/ConverseStream on exactly `modelIds`: `direct` on the profiles and plain
 * models of this region; `viaProfile` (when a profile is configured) on the profiles' foundation models in
 * any region, only when the request names one of those profiles (`bedrock:InferenceProfileArn`).
 */
export function bedrockInvokeStatements(scope: IConstruct, modelIds: readonly string[]): { direct: iam.PolicyStatement; viaProfile?: iam.PolicyStatement } {
  const stack = Stack.of(scope);
  const direct = new Set<string>();
  const foundations = new Set<string>();
  const profiles = new Set<string>();
  for (const id of modelIds) {
    const [first, second] = bedrockModelArns(scope, id);
    direct.add(first);
    if (second) {
      foundations.add(second);
      profiles.add(`arn:${Aws.PARTITION}:bedrock:${stack.region}:${stack.account}:inference-profile/${id}`);
    }
  }
  const actions = [...BEDROCK_INVOKE_ACTIONS];
  return {
    direct: new iam.PolicyStatement({ sid: 'InvokeConfiguredModels', actions, resources: [...direct] }),
    ...(foundations.size ? {
      viaProfile: new iam.PolicyStatement({
        sid: 'InvokeFoundationModelsThroughProfiles', actions, resources: [...foundations],
        conditions: { StringLike: { 'bedrock:InferenceProfileArn': [...profiles] } },
      }),
    } : {}),
  };
}

/** The regions (by prefix) each inference-profile geography routes within; `global` routes anywhere. */
const PROFILE_GEOGRAPHY_REGIONS: Record<string, RegExp> = {
  us: /^us-(east|west)-\d$/, 'us-gov': /^us-gov-/, eu: /^eu-/, apac: /^ap-/, jp: /^ap-northeast-[13]$/, au: /^ap-southeast-[24]$/, ca: /^ca-/,
  global: /./,
};

/**
 * Refuse (ConfigError) an inference-profile ID whose geography does not contain the deploy region: such a
 * profile does not exist there and every call would fail at turn 1. Unknown (token) regions are not checked.
 */
export function checkProfileGeography(modelId: string, region: string, field: string): void {
  if (Token.isUnresolved(region) || foundationModelOfProfile(modelId) === undefined) return;
  const geo = modelId.slice(0, modelId.indexOf('.'));
  const ok = PROFILE_GEOGRAPHY_REGIONS[geo];
  if (ok && !ok.test(region)) {
    throw new ConfigError(`${field} ${modelId} is a "${geo}." inference profile, which does not exist in ${region}; ` +
      `use the profile of this region's geography (e.g. ${region.startsWith('eu-') ? 'eu' : region.startsWith('ap-') ? 'apac' : 'us'}.${foundationModelOfProfile(modelId)}) or global.`);
  }
}
