/**
 * Deploy and update fixes (issue 10): the interpreter's name follows its create-only properties, the
 * description is constant, state-machine logs are vended-log groups, foundation-model grants work only
 * through the configured profiles, VPC pinning is paired with the region, and profile geography is checked.
 */
import { checkProfileGeography } from '../../lib/model-arns';
import { ConfigError } from '../../lambdas/core/errors';
import { synth } from './helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const env = { account: '111122223333', region: 'us-east-1' };

const interpreterOf = (template: ReturnType<typeof synth>['template']) =>
  Object.values(template.findResources('AWS::BedrockAgentCore::CodeInterpreterCustom'))[0] as Json;
const policies = (template: ReturnType<typeof synth>['template']) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => (p as Json).Properties.PolicyDocument.Statement as Json[]);

let publicSynth: ReturnType<typeof synth>;
let vpcSynth: ReturnType<typeof synth>;
beforeAll(() => {
  publicSynth = synth({}, { env });
  vpcSynth = synth({ networkMode: 'VPC' }, { env });
});

test('the interpreter name carries a hash of its create-only properties; the description is constant', () => {
  const pub = interpreterOf(publicSynth.template).Properties;
  const vpc = interpreterOf(vpcSynth.template).Properties;
  expect(pub.Name).toMatch(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/);
  expect(vpc.Name).toMatch(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/);
  expect(pub.Name).not.toBe(vpc.Name); // switching the network mode replaces the interpreter under a new name
  expect(pub.Name.replace(/_[0-9a-f]{8}$/, '')).toBe(vpc.Name.replace(/_[0-9a-f]{8}$/, ''));
  expect(pub.Description).toBe(vpc.Description);
  expect(synth({}, { env }).template.toJSON()).toEqual(publicSynth.template.toJSON()); // stable across synths
  const trust = JSON.stringify(Object.values(publicSynth.template.findResources('AWS::IAM::Role')).map((r) => (r as Json).Properties.AssumeRolePolicyDocument));
  expect(trust).toContain(`code-interpreter-custom/${pub.Name.replace(/_[0-9a-f]{8}$/, '')}*`);
});

test('both state machines log to groups under /aws/vendedlogs/states/', () => {
  const machines = Object.values(publicSynth.template.findResources('AWS::StepFunctions::StateMachine')) as Json[];
  expect(machines.length).toBeGreaterThanOrEqual(2);
  const groups = publicSynth.template.findResources('AWS::Logs::LogGroup') as Record<string, Json>;
  for (const m of machines) {
    const ref = m.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    const name = JSON.stringify(groups[ref].Properties.LogGroupName);
    expect(name).toContain('/aws/vendedlogs/states/');
    expect(name).toContain('AWS::StackId'); // unique per stack instance: a retained group never collides
  }
});

test('foundation-model ARNs in any region are granted only through the configured inference profiles', () => {
  for (const st of policies(publicSynth.template)) {
    const resources = JSON.stringify(st.Resource ?? '');
    if (!resources.includes('foundation-model')) continue;
    expect(st.Condition?.StringLike?.['bedrock:InferenceProfileArn']).toBeDefined();
    expect(JSON.stringify(st.Condition.StringLike['bedrock:InferenceProfileArn'])).toContain('inference-profile/us.anthropic');
  }
  expect(policies(publicSynth.template).filter((s) => s.Sid === 'InvokeFoundationModelsThroughProfiles').length).toBeGreaterThanOrEqual(2);
});

test('in VPC mode aws:SourceVpc is paired with aws:RequestedRegion', () => {
  const pinned = policies(vpcSynth.template).filter((s) => s.Condition?.StringEquals?.['aws:SourceVpc']);
  expect(pinned.length).toBeGreaterThan(0);
  for (const st of pinned) expect(st.Condition.StringEquals['aws:RequestedRegion']).toBe('us-east-1');
});

test('an inference profile whose geography does not contain the deploy region fails the synth', () => {
  expect(() => synth({}, { env: { ...env, region: 'eu-west-1' } })).toThrow(ConfigError);
  expect(() => synth({}, { env: { ...env, region: 'eu-west-1' } })).toThrow(/rootModelId us\.anthropic.* does not exist in eu-west-1.*eu\.anthropic/);
  expect(() => checkProfileGeography('eu.anthropic.claude-haiku-4-5-20251001-v1:0', 'eu-central-1', 'm')).not.toThrow();
  expect(() => checkProfileGeography('apac.anthropic.claude-haiku-4-5-20251001-v1:0', 'ap-southeast-2', 'm')).not.toThrow();
  expect(() => checkProfileGeography('global.anthropic.claude-haiku-4-5-20251001-v1:0', 'sa-east-1', 'm')).not.toThrow();
  expect(() => checkProfileGeography('anthropic.claude-haiku-4-5-20251001-v1:0', 'eu-west-1', 'm')).not.toThrow();
  expect(() => checkProfileGeography('us.anthropic.claude-haiku-4-5-20251001-v1:0', 'ap-south-1', 'm')).toThrow(ConfigError);
});
