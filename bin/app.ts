/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy -c key=value ...` (context keys: docs/deploy.md).
 * Works without AWS credentials: the stack is environment-agnostic unless `-c vpcId=...` needs a lookup.
 * cdk-nag AwsSolutions checks run on every synth; any unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/core/errors';
import { checkContextKeys, pipelineConfigFromContext, resolvePipelineConfig } from '../lib/pipeline-config';
import { DEFAULT_STACK_NAME, RlmPipelineStack } from '../lib/rlm-stack';
import type { SandboxNetworkOptions } from '../lib/sandbox-network';

// A bad setting (a mistyped -c key, a value out of range) is the user's to fix: one line naming it, no stack trace.
process.on('uncaughtException', (err) => {
  console.error(err instanceof ConfigError ? `ConfigError: ${err.message}` : err);
  process.exit(1);
});

const app = new App();
// A mistyped -c key fails the synth naming the likely key instead of silently using a default.
checkContextKeys(app.node.getAllContext());
const ctx = (key: string): unknown => app.node.tryGetContext(key);
const str = (key: string): string | undefined => {
  const v = ctx(key);
  return v === undefined || v === null || v === '' ? undefined : String(v);
};
const list = (key: string): string[] | undefined => {
  const v = ctx(key);
  if (v === undefined || v === null || v === '') return undefined;
  return Array.isArray(v) ? v.map(String) : String(v).split(',').map((s) => s.trim()).filter(Boolean);
};

const vpcId = str('vpcId');
// A VPC lookup needs a concrete account and region (from the CLI's credentials); otherwise stay env-agnostic.
const env = vpcId ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined;
const stackName = str('stackName') ?? DEFAULT_STACK_NAME;
const pipelineInput = pipelineConfigFromContext(ctx);
for (const key of ['vpcId', 'vpcAvailabilityZones', 'vpcEndpoints']) {
  if (ctx(key) !== undefined && resolvePipelineConfig(pipelineInput).networkMode !== 'VPC') {
    throw new ConfigError(`${key} only applies with networkMode=VPC (add -c networkMode=VPC)`);
  }
}

new RlmPipelineStack(app, stackName, {
  stackName,
  ...(env ? { env } : {}),
  pipeline: {
    ...pipelineInput,
    network: networkOptions(),
  },
});

function networkOptions(): SandboxNetworkOptions {
  const azs = list('vpcAvailabilityZones');
  const endpoints = str('vpcEndpoints');
  return {
    ...(vpcId ? { vpcId } : {}),
    ...(azs ? { availabilityZones: azs } : {}),
    ...(endpoints !== undefined ? { createEndpoints: endpoints !== 'false' } : {}),
  };
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
