/** Shared setup of the CDK tests: the app's feature flags (cdk.json), no asset bundling, nag on demand. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RlmPipelineProps } from '../../lib/rlm-pipeline';
import { RlmPipelineStack } from '../../lib/rlm-stack';

const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

/** A new App with cdk.json's context and bundling skipped (keeps tests fast; `npx cdk synth` bundles). */
export function testApp(): App {
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
}

/** A synthesized `RlmPipelineStack` with `pipeline` props. */
export function synth(pipeline: RlmPipelineProps = {}, stackProps: { env?: { account: string; region: string } } = {}) {
  const app = testApp();
  const stack = new RlmPipelineStack(app, 'TestRlm', { pipeline, ...stackProps });
  const template = Template.fromStack(stack);
  return { app, stack, template, pipeline: stack.pipeline };
}

/** Unacknowledged cdk-nag AwsSolutions findings (errors and warnings) as `rule @ path` lines. */
export function nagFindings(stack: Stack): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: false }).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} @ ${r.constructPath}`));
}

type Json = Record<string, any>;

/** The IAM policy statements attached to the role with logical ID `roleLogicalId` (inline DefaultPolicy and policies). */
export function statementsOfRole(template: Template, roleLogicalId: string): Json[] {
  const out: Json[] = [];
  const role = template.toJSON().Resources[roleLogicalId] as Json;
  for (const p of role.Properties?.Policies ?? []) out.push(...p.PolicyDocument.Statement);
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as Json[]) {
    const roles: Json[] = policy.Properties.Roles ?? [];
    if (roles.some((r) => r.Ref === roleLogicalId)) out.push(...policy.Properties.PolicyDocument.Statement);
  }
  return out;
}

/** Logical ID of the Lambda function whose construct path contains `pathPart` (e.g. `RootTurn`). */
export function functionLogicalId(template: Template, pathPart: string): string {
  const fns = template.findResources('AWS::Lambda::Function');
  const ids = Object.keys(fns).filter((id) => id.includes(pathPart) && fns[id].Properties?.Handler === 'index.handler');
  if (ids.length !== 1) throw new Error(`expected one function matching ${pathPart}, got ${ids.join(', ')}`);
  return ids[0];
}

/** Logical ID of the role of function `fnLogicalId`. */
export function roleOfFunction(template: Template, fnLogicalId: string): string {
  const fn = template.toJSON().Resources[fnLogicalId] as Json;
  return fn.Properties.Role['Fn::GetAtt'][0];
}

/** Actions of `statements` (flattened, as strings). */
export function actionsOf(statements: Json[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** Statements granting `action`. */
export function statementsWith(statements: Json[], action: string): Json[] {
  return statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));
}

/** Resources of `statements`, flattened to readable strings (`<Logical.Arn>/documents/*`). */
export function resourcesOf(statements: Json[]): string[] {
  const { flattenCfnValue } = require('../../lib/nag') as typeof import('../../lib/nag');
  return statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])).map(flattenCfnValue);
}
