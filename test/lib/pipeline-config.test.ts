import { DEFAULT_RUN_CONFIG } from '../../lambdas/core/config';
import { ConfigError } from '../../lambdas/core/errors';
import {
  CONTEXT_KEYS,
  DEFAULT_PIPELINE_CONFIG,
  MAX_CELL_TIMEOUT_MS,
  pipelineConfigFromContext,
  resolvePipelineConfig,
} from '../../lib/pipeline-config';
import { bedrockModelArns, foundationModelOfProfile } from '../../lib/model-arns';
import { Stack } from 'aws-cdk-lib';

describe('resolvePipelineConfig', () => {
  test('defaults follow the run defaults of lambdas/core/config.ts', () => {
    const c = resolvePipelineConfig();
    expect(c).toEqual(DEFAULT_PIPELINE_CONFIG);
    expect(c.rootModelId).toBe(DEFAULT_RUN_CONFIG.rootModelId);
    expect(c.subModelIds).toEqual([DEFAULT_RUN_CONFIG.subModelId]);
    expect(c.maxIterations).toBe(DEFAULT_RUN_CONFIG.maxIterations);
    expect(c.networkMode).toBe('PUBLIC');
    expect(c.removalPolicy).toBe('retain');
    expect(c.sessionTimeoutSeconds).toBe(8 * 3600);
  });

  test('accepts one sub model or a list (deduplicated, first is the default)', () => {
    expect(resolvePipelineConfig({ subModelIds: 'amazon.nova-lite-v1:0' }).subModelIds).toEqual(['amazon.nova-lite-v1:0']);
    expect(resolvePipelineConfig({ subModelIds: ['a.b-1', 'eu.c.d-2', 'a.b-1'] }).subModelIds).toEqual(['a.b-1', 'eu.c.d-2']);
  });

  test('normalises networkMode and removalPolicy case', () => {
    const c = resolvePipelineConfig({ networkMode: 'vpc' as never, removalPolicy: 'DESTROY' as never });
    expect(c.networkMode).toBe('VPC');
    expect(c.removalPolicy).toBe('destroy');
  });

  const bad: Array<[string, Parameters<typeof resolvePipelineConfig>[0], RegExp]> = [
    ['networkMode', { networkMode: 'PRIVATE' as never }, /^networkMode must be one of PUBLIC, VPC, got "PRIVATE"/],
    ['removalPolicy', { removalPolicy: 'snapshot' as never }, /^removalPolicy must be one of retain, destroy/],
    ['logRetentionDays', { logRetentionDays: 10 }, /^logRetentionDays must be one of 1, 3, 5, 7, 14, 30, .* got 10/],
    ['cellTimeoutMs too high', { cellTimeoutMs: 800_000 }, new RegExp(`^cellTimeoutMs must be an integer from 5000 to ${MAX_CELL_TIMEOUT_MS} \\(ms; the root-turn Lambda timeout is 900 s`)],
    ['cellTimeoutMs not int', { cellTimeoutMs: 1.5 }, /^cellTimeoutMs must be an integer/],
    ['sessionTimeoutSeconds', { sessionTimeoutSeconds: 9 * 3600 }, /^sessionTimeoutSeconds must be an integer from 900 to 28800 .*8 hours/],
    ['maxIterations', { maxIterations: 0 }, /^maxIterations must be an integer from 1 to 200, got 0/],
    ['subConcurrency', { subConcurrency: 65 }, /^subConcurrency must be an integer from 1 to 64/],
    ['runTtlDays', { runTtlDays: 0 }, /^runTtlDays must be an integer from 1 to 3650/],
    ['rootModelId ARN', { rootModelId: 'arn:aws:bedrock:us-east-1::foundation-model/x.y' }, /^rootModelId must be a Bedrock model ID .*ARNs are not accepted/],
    ['rootModelId empty', { rootModelId: '  ' }, /^rootModelId must be a Bedrock model ID/],
    ['subModelId list empty', { subModelIds: [] }, /^subModelId must name at least one model/],
    ['subModelId bad entry', { subModelIds: ['ok.model', 'no spaces allowed'] }, /^subModelId must be a Bedrock model ID/],
    ['schedule', { schedule: 'every hour' }, /^schedule must be an EventBridge schedule expression/],
  ];
  test.each(bad)('%s: throws ConfigError naming the context key and what is allowed', (_name, input, message) => {
    expect(() => resolvePipelineConfig(input)).toThrow(ConfigError);
    expect(() => resolvePipelineConfig(input)).toThrow(message);
  });

  test('keeps a valid schedule, drops an empty one', () => {
    expect(resolvePipelineConfig({ schedule: 'rate(1 hour)' }).schedule).toBe('rate(1 hour)');
    expect(resolvePipelineConfig({ schedule: 'cron(0 6 * * ? *)' }).schedule).toBe('cron(0 6 * * ? *)');
    expect(resolvePipelineConfig({ schedule: '' })).not.toHaveProperty('schedule');
  });
});

describe('pipelineConfigFromContext', () => {
  const from = (ctx: Record<string, unknown>) => pipelineConfigFromContext((k) => ctx[k]);

  test('reads -c strings as numbers and comma lists', () => {
    const input = from({
      [CONTEXT_KEYS.rootModelId]: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      [CONTEXT_KEYS.subModelIds]: 'us.anthropic.claude-haiku-4-5-20251001-v1:0, amazon.nova-micro-v1:0',
      maxIterations: '20', cellTimeoutMs: '60000', networkMode: 'VPC', logRetentionDays: 30, removalPolicy: 'destroy',
    });
    expect(resolvePipelineConfig(input)).toMatchObject({
      rootModelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      subModelIds: ['us.anthropic.claude-haiku-4-5-20251001-v1:0', 'amazon.nova-micro-v1:0'],
      maxIterations: 20, cellTimeoutMs: 60_000, networkMode: 'VPC', logRetentionDays: 30, removalPolicy: 'destroy',
    });
  });

  test('accepts a JSON array for subModelId (cdk.json) and ignores unset keys', () => {
    expect(from({ subModelId: ['a.b', 'c.d'] })).toEqual({ subModelIds: ['a.b', 'c.d'] });
    expect(from({})).toEqual({});
  });

  test('a non-number for a numeric key names the key', () => {
    expect(() => from({ maxIterations: 'twenty' })).toThrow(/^maxIterations must be a number, got "twenty"/);
  });

  test('bad watchProfiles JSON names the context key, not the Lambda variable it becomes', () => {
    expect(() => resolvePipelineConfig(from({ watchProfiles: '{not json' }))).toThrow(/^watchProfiles is not valid JSON/);
  });
});

describe('bedrockModelArns (the inference-profile rule)', () => {
  const stack = new Stack();
  const flat = (arns: string[]) => arns.map((a) => stack.resolve(a)).map((r) => JSON.stringify(r));

  test('an inference-profile ID needs the profile here and the foundation model in any region', () => {
    expect(foundationModelOfProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0')).toBe('anthropic.claude-haiku-4-5-20251001-v1:0');
    const arns = flat(bedrockModelArns(stack, 'us.anthropic.claude-haiku-4-5-20251001-v1:0'));
    expect(arns).toHaveLength(2);
    expect(arns[0]).toContain(':inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(arns[0]).toContain('{"Ref":"AWS::AccountId"}');
    expect(arns[1]).toContain(':bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0');
  });

  test('a plain model ID is the foundation model in this region only', () => {
    expect(foundationModelOfProfile('anthropic.claude-haiku-4-5-20251001-v1:0')).toBeUndefined();
    const arns = flat(bedrockModelArns(stack, 'anthropic.claude-haiku-4-5-20251001-v1:0'));
    expect(arns).toHaveLength(1);
    expect(arns[0]).toContain('{"Ref":"AWS::Region"}');
    expect(arns[0]).toContain('::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(arns[0]).not.toContain('*');
  });

  test('global and other geographies are profiles too', () => {
    for (const id of ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'eu.amazon.nova-pro-v1:0', 'apac.x.y']) {
      expect(foundationModelOfProfile(id)).toBe(id.slice(id.indexOf('.') + 1));
    }
  });
});

test('the bucket prefixes of the stack are the ones the triggers use', () => {
  const { S3_PREFIXES, READABLE_DOCUMENT_PREFIXES } = require('../../lib/storage') as typeof import('../../lib/storage');
  const { TRIGGER_PREFIXES, ALLOWED_DOCUMENT_PREFIXES } = require('../../lambdas/core/batch/layout') as typeof import('../../lambdas/core/batch/layout');
  for (const key of ['documents', 'inbox', 'jobs', 'batches'] as const) expect(S3_PREFIXES[key]).toBe(TRIGGER_PREFIXES[key]);
  expect([...READABLE_DOCUMENT_PREFIXES]).toEqual([...ALLOWED_DOCUMENT_PREFIXES]);
});
