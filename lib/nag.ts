/**
 * cdk-nag (v3, AwsSolutions) acknowledgments of the stack, in one place. Each acknowledges exactly
 * one finding (`AwsSolutions-IAM5[Resource::<the wildcard ARN>]`), computed from the statement it
 * excuses, with the reason that wildcard is the narrowest grant IAM allows.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

const IAM5 = 'AwsSolutions-IAM5';

/** Flatten a resolved CloudFormation value the way cdk-nag names findings (`<Logical.Arn>`, `<AWS::Region>`). */
export function flattenCfnValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnValue).join(delimiter);
  }
  if (v['Fn::Sub'] !== undefined) return flattenCfnValue(v['Fn::Sub']);
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [resource, attribute] = v['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfnValue(resource)}.${flattenCfnValue(attribute)}>`;
  }
  if (v['Fn::ImportValue'] !== undefined) return flattenCfnValue(v['Fn::ImportValue']);
  if (v.Ref !== undefined) return `<${flattenCfnValue(v.Ref)}>`;
  return JSON.stringify(value);
}

/** The wildcard entries of a resolved `Resource` value as IAM5 findings (`Resource::...`). */
function findingsOfResource(resource: unknown): string[] {
  const resources = resource === undefined ? [] : Array.isArray(resource) ? resource : [resource];
  return resources.map(flattenCfnValue).filter((r) => r.includes('*')).map((r) => `Resource::${r}`);
}

/** The wildcard resources of `statement` as cdk-nag IAM5 findings (`Resource::...`). */
export function wildcardResourceFindings(scope: IConstruct, statement: iam.PolicyStatement): string[] {
  const json = Stack.of(scope).resolve(statement.toStatementJson()) as { Resource?: unknown };
  return findingsOfResource(json.Resource);
}

/** Acknowledge the IAM5 findings of `statement`'s wildcard resources on `principal` (a role). */
export function acknowledgeWildcards(principal: IConstruct, statement: iam.PolicyStatement, reason: string): void {
  for (const finding of wildcardResourceFindings(principal, statement)) {
    Validations.of(principal).acknowledge({ id: `${IAM5}[${finding}]`, reason });
  }
}

/** Reasons, so every suppression of a kind says the same thing. */
export const NAG_REASONS = {
  documentPrefixes: 'Object keys are chosen per run, so the key prefix (documents/*, inbox/*) is the narrowest resource IAM can name.',
  resultsPrefix: 'Artifacts are written to results/<runId>/...; the results/ prefix is the narrowest resource IAM can name before the run exists.',
  crossRegionModel: 'A cross-region inference profile routes a call to the named foundation model in any region of its geography and IAM checks '
    + 'the model ARN of the serving region, so the region is the only wildcard (the model ID is fixed).',
  xray: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions (tracing: ACTIVE).',
} as const;

/**
 * Acknowledge the IAM5 findings of every wildcard resource in `policy`, for policies whose statements
 * CDK writes (a state machine's task grants) rather than this code.
 */
export function acknowledgePolicyWildcards(policy: iam.Policy, reason: string): void {
  const doc = Stack.of(policy).resolve(policy.document.toJSON()) as { Statement?: Array<{ Resource?: unknown }> } | undefined;
  for (const statement of doc?.Statement ?? []) {
    for (const finding of findingsOfResource(statement.Resource)) acknowledge(policy, `${IAM5}[${finding}]`, reason);
  }
}

/** X-Ray `PutTraceSegments`/`PutTelemetryRecords` support no resource-level permissions. */
export function acknowledgeXRay(principal: IConstruct): void {
  Validations.of(principal).acknowledge({ id: `${IAM5}[Resource::*]`, reason: NAG_REASONS.xray });
}

/** Node.js 22 is the runtime the handlers target (esbuild `node22`); L1 fires when a newer one exists. */
export function acknowledgePinnedRuntime(fn: IConstruct): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'Pinned to Node.js 22, the runtime the handlers are bundled (esbuild target node22) and tested for; a newer runtime is a deliberate upgrade.',
  });
}

/** Acknowledge rule `id` on `construct` with `reason`. */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}
