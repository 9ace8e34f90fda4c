/** The sandbox: the code interpreter, the role model-written code runs as, and the VPC mode network. */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Template } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../lambdas/core/errors';
import { RlmPipelineStack } from '../../lib/rlm-stack';
import { actionsOf, resourcesOf, statementsOfRole, statementsWith, synth, testApp } from './helpers';

type Json = Record<string, any>;

function sandboxRole(template: Template): { id: string; role: Json } {
  const roles = template.findResources('AWS::IAM::Role', {
    Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'bedrock-agentcore.amazonaws.com' } }] } },
  });
  const ids = Object.keys(roles);
  expect(ids).toHaveLength(1);
  return { id: ids[0], role: roles[ids[0]] };
}

describe('PUBLIC mode (default)', () => {
  let template: Template;
  let bucketId: string;
  beforeAll(() => {
    ({ template } = synth());
    bucketId = Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' } } }))[0];
  });

  test('a custom code interpreter in PUBLIC mode with its own execution role', () => {
    const ci = Object.values(template.findResources('AWS::BedrockAgentCore::CodeInterpreterCustom')) as Json[];
    expect(ci).toHaveLength(1);
    const { id } = sandboxRole(template);
    expect(ci[0].Properties).toMatchObject({ NetworkConfiguration: { NetworkMode: 'PUBLIC' }, ExecutionRoleArn: { 'Fn::GetAtt': [id, 'Arn'] } });
    expect(ci[0].Properties.Name).toMatch(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/);
    expect(template.findResources('AWS::EC2::VPC')).toEqual({});
  });

  test('the role trusts AgentCore only from this account (and this interpreter name)', () => {
    const [stmt] = sandboxRole(template).role.Properties.AssumeRolePolicyDocument.Statement;
    expect(stmt.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(JSON.stringify(stmt.Condition.ArnLike)).toContain(':code-interpreter-custom/');
  });

  test('model-written code may ONLY call the sub models and read documents/ and inbox/', () => {
    const statements = statementsOfRole(template, sandboxRole(template).id);
    expect([...new Set(actionsOf(statements))].sort()).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 's3:GetObject', 's3:ListBucket']);
    // The base model in any region only through the profile: it cannot be called directly.
    const viaProfile = statements.filter((s) => JSON.stringify(s.Resource).includes('foundation-model'));
    expect(viaProfile).toHaveLength(1);
    expect(JSON.stringify(viaProfile[0].Condition.StringLike['bedrock:InferenceProfileArn'])).toContain('inference-profile/us.anthropic.claude-haiku');
    expect(resourcesOf(statementsWith(statements, 'bedrock:InvokeModel'))).toEqual([
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
    ]);
    expect(resourcesOf(statementsWith(statements, 's3:GetObject')).sort()).toEqual([`<${bucketId}.Arn>/documents/*`, `<${bucketId}.Arn>/inbox/*`]);
    expect(statementsWith(statements, 's3:ListBucket')[0].Condition).toEqual({ StringLike: { 's3:prefix': ['documents/*', 'inbox/*'] } });
    for (const forbidden of ['s3:PutObject', 's3:DeleteObject', 'dynamodb:PutItem', 'states:StartExecution', 'events:PutEvents', 'iam:PassRole']) {
      expect(actionsOf(statements)).not.toContain(forbidden);
    }
    expect(resourcesOf(statements)).not.toContain('*');
    for (const s of statements) expect(s.Condition?.StringEquals).toBeUndefined();
  });
});

describe('model scoping', () => {
  test('a list of sub models is all in the sandbox role; the root model is not, unless it is also a sub model', () => {
    const { template } = synth({ rootModelId: 'anthropic.claude-opus-4-1-20250805-v1:0', subModelIds: ['amazon.nova-micro-v1:0', 'eu.amazon.nova-lite-v1:0'] });
    const sandbox = resourcesOf(statementsWith(statementsOfRole(template, sandboxRole(template).id), 'bedrock:InvokeModel'));
    expect(sandbox.sort()).toEqual([
      'arn:<AWS::Partition>:bedrock:*::foundation-model/amazon.nova-lite-v1:0',
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/eu.amazon.nova-lite-v1:0',
      'arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/amazon.nova-micro-v1:0',
    ].sort());
    expect(sandbox.join()).not.toContain('opus');

    const same = synth({ rootModelId: 'amazon.nova-micro-v1:0', subModelIds: 'amazon.nova-micro-v1:0' }).template;
    expect(resourcesOf(statementsWith(statementsOfRole(same, sandboxRole(same).id), 'bedrock:InvokeModel')))
      .toEqual(['arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/amazon.nova-micro-v1:0']);
  });
});

describe('VPC mode', () => {
  let template: Template;
  beforeAll(() => ({ template } = synth({ networkMode: 'VPC' })));

  test('private isolated subnets only: no NAT gateway, no internet gateway, no public subnet', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    for (const s of Object.values(template.findResources('AWS::EC2::Subnet')) as Json[]) expect(s.Properties.MapPublicIpOnLaunch).toBe(false);
    for (const r of Object.values(template.findResources('AWS::EC2::Route')) as Json[]) expect(r.Properties.DestinationCidrBlock).not.toBe('0.0.0.0/0');
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  test('the interpreter runs in VPC mode in those subnets with a security group that has no ingress', () => {
    const [ci] = Object.values(template.findResources('AWS::BedrockAgentCore::CodeInterpreterCustom')) as Json[];
    expect(ci.Properties.NetworkConfiguration.NetworkMode).toBe('VPC');
    const { SecurityGroups, Subnets } = ci.Properties.NetworkConfiguration.VpcConfig;
    expect(Subnets).toHaveLength(2);
    const sgId = SecurityGroups[0]['Fn::GetAtt'][0];
    const sg = template.toJSON().Resources[sgId];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')) as Json[];
    for (const rule of ingress) expect(rule.Properties.GroupId['Fn::GetAtt'][0]).not.toBe(sgId);
  });

  test('endpoints: S3 gateway and bedrock-runtime, each limited to the sandbox role and its resources', () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')) as Json[];
    const services = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName)).sort();
    expect(services).toEqual([expect.stringContaining('.bedrock-runtime'), expect.stringContaining('.s3')]);
    const role = sandboxRole(template).id;
    for (const e of endpoints) {
      for (const s of e.Properties.PolicyDocument.Statement) expect(s.Principal).toEqual({ AWS: { 'Fn::GetAtt': [role, 'Arn'] } });
    }
    const s3 = endpoints.find((e) => e.Properties.VpcEndpointType === 'Gateway')!;
    expect(actionsOf(s3.Properties.PolicyDocument.Statement).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    const bedrock = endpoints.find((e) => e.Properties.VpcEndpointType === 'Interface')!;
    expect(bedrock.Properties.PrivateDnsEnabled).toBe(true);
    expect(resourcesOf(bedrock.Properties.PolicyDocument.Statement).join()).toContain('claude-haiku');
  });

  test('the sandbox role only works from inside that VPC (stolen metadata credentials are useless elsewhere)', () => {
    const vpcId = Object.keys(template.findResources('AWS::EC2::VPC'))[0];
    const statements = statementsOfRole(template, sandboxRole(template).id);
    expect(statements).toHaveLength(4);
    // aws:SourceVpc is only present in this region, so it is paired with aws:RequestedRegion; the profile's routed
    // calls to other regions (made by Bedrock) are allowed only through the pinned profile.
    for (const s of statements) {
      if (s.Sid === 'InvokeFoundationModelsThroughProfiles') expect(s.Condition.StringLike['bedrock:InferenceProfileArn']).toBeDefined();
      else expect(s.Condition.StringEquals).toEqual({ 'aws:SourceVpc': { Ref: vpcId }, 'aws:RequestedRegion': { Ref: 'AWS::Region' } });
    }
  });

  test('an existing VPC can be used instead (and endpoints skipped)', () => {
    const app = testApp();
    const vpcStack = new Stack(app, 'Net');
    const vpc = new ec2.Vpc(vpcStack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const stack = new RlmPipelineStack(app, 'WithVpc', { pipeline: { networkMode: 'VPC', network: { vpc, createEndpoints: false } } });
    expect(stack.pipeline.codeInterpreter.network?.vpc).toBe(vpc);
    expect(stack.pipeline.codeInterpreter.network?.endpoints).toHaveLength(0);
  });
});

test('bad config fails the synth with a ConfigError naming the key', () => {
  expect(() => synth({ cellTimeoutMs: 900_000 })).toThrow(ConfigError);
  expect(() => synth({ cellTimeoutMs: 900_000 })).toThrow(/^cellTimeoutMs must be an integer from 5000 to 720000/);
  expect(() => synth({ networkMode: 'SANDBOX' as never })).toThrow(/^networkMode must be one of PUBLIC, VPC/);
});
