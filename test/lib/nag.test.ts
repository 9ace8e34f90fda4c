/** cdk-nag AwsSolutions (v3) finds nothing unacknowledged, in every configuration, and each acknowledgment is specific. */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledgeWildcards, flattenCfnValue, wildcardResourceFindings } from '../../lib/nag';
import { nagFindings, synth } from './helpers';

test.each([
  ['default (PUBLIC, retain)', {}],
  ['VPC mode', { networkMode: 'VPC' as const }],
  ['destroy, several sub models', { removalPolicy: 'destroy' as const, subModelIds: ['us.anthropic.claude-haiku-4-5-20251001-v1:0', 'amazon.nova-micro-v1:0'] }],
])('%s: zero unacknowledged findings', (_name, props) => {
  const { stack } = synth(props);
  expect(nagFindings(stack)).toEqual([]);
});

test('acknowledgments name the exact wildcard finding, never the whole rule', () => {
  const { stack } = synth();
  const ids: string[] = [];
  for (const c of stack.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) ids.push(...Object.keys(m.data as object));
    }
  }
  const iam5 = ids.filter((id) => id.includes('IAM5'));
  expect(iam5.length).toBeGreaterThan(0);
  for (const id of iam5) expect(id).toMatch(/AwsSolutions-IAM5\[Resource::.+\]$/);
  expect(ids.some((id) => /AwsSolutions-IAM5$/.test(id))).toBe(false);
});

test('wildcard findings are computed the way cdk-nag flattens references', () => {
  const stack = new Stack();
  const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
  const st = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${role.roleArn}/x/*`, role.roleArn, '*'] });
  expect(wildcardResourceFindings(role, st)).toEqual([`Resource::<${stack.resolve((role.node.defaultChild as iam.CfnRole).logicalId)}.Arn>/x/*`, 'Resource::*']);
  expect(flattenCfnValue({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::b/*']] })).toBe('arn:<AWS::Partition>:s3:::b/*');
  acknowledgeWildcards(role, st, 'test');
  expect(role.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)).toHaveLength(2);
});
