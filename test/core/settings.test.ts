/** The settings table: the run config, the pipeline config, the context-key check and help derive from it. */
import { DEFAULT_RUN_CONFIG, resolveRunConfig } from '../../lambdas/core/config';
import { closestName, didYouMean } from '../../lambdas/core/did-you-mean';
import { ConfigError } from '../../lambdas/core/errors';
import { boundsOf, KNOWN_CONTEXT_KEYS, RUN_SETTING_NAMES, runOptionsJsonSchema, SETTINGS, type RunSettingName } from '../../lambdas/core/settings';
import type { RunConfig } from '../../lambdas/core/types';
import { checkContextKeys, CONTEXT_KEYS, DEFAULT_PIPELINE_CONFIG, resolvePipelineConfig } from '../../lib/pipeline-config';
import { LAMBDA_ENV } from '../../lambdas/handlers/lambda-env';

describe('did-you-mean', () => {
  it('finds a typo, a swap and a prefix, and stays silent for unrelated names', () => {
    expect(closestName('maxIteration', ['maxIterations', 'maxOutputChars'])).toBe('maxIterations');
    expect(closestName('--questoin', ['--question', '--quiet'])).toBe('--question');
    expect(closestName('rn', ['run', 'batch'])).toBe('run');
    expect(closestName('deploy', ['run', 'batch', 'eval', 'submit', 'status', 'result'])).toBeUndefined();
    expect(didYouMean('zzz', ['run'])).toBe('');
  });
});

describe('settings table', () => {
  it('gives the run defaults and bounds', () => {
    expect(DEFAULT_RUN_CONFIG).toEqual({
      rootModelId: SETTINGS.rootModelId.default, subModelId: SETTINGS.subModelId.default, maxIterations: 30,
      rootMaxOutputTokens: 16_000, maxOutputChars: 20_000, cellTimeoutMs: 300_000, subConcurrency: 16, maxConsecutiveErrors: 8,
    });
    expect(() => resolveRunConfig({ maxOutputChars: 50 })).toThrow(/^maxOutputChars must be at least 100, got 50$/);
    expect(() => resolveRunConfig({ maxIterations: 201 })).toThrow(/^maxIterations must be at most 200/);
    expect(() => resolveRunConfig({ maxIterations: '5' })).toThrow(/must be a number, got "5"/);
    expect(() => resolveRunConfig({ maxCostUsd: 0 })).toThrow(/maxCostUsd must be greater than 0/);
    expect(() => resolveRunConfig({ maxIteration: 5 })).toThrow(/unknown run option "maxIteration"; did you mean maxIterations\?/);
  });

  it('is the one source of the pipeline bounds and defaults (the CLI and the stack agree)', () => {
    for (const name of ['maxIterations', 'maxOutputChars', 'subConcurrency', 'runTtlDays', 'batchMaxConcurrency'] as const) {
      const { min, max } = boundsOf(name);
      const key = CONTEXT_KEYS[name];
      expect(() => resolvePipelineConfig({ [name]: min - 1 })).toThrow(new RegExp(`^${key} must be an integer from ${min} to ${max}`));
      expect(() => resolvePipelineConfig({ [name]: max + 1 })).toThrow(ConfigError);
      expect(resolvePipelineConfig({ [name]: max })[name]).toBe(max);
    }
    for (const name of ['maxIterations', 'maxOutputChars', 'cellTimeoutMs', 'subConcurrency'] as const) {
      expect(DEFAULT_PIPELINE_CONFIG[name]).toBe(DEFAULT_RUN_CONFIG[name]);
    }
  });

  it('names the Lambda environment variables the handlers read', () => {
    for (const [name, spec] of Object.entries(SETTINGS)) {
      const env = (spec as { env?: string }).env;
      if (env) expect(Object.values(LAMBDA_ENV)).toContain(env);
      else expect(name).not.toMatch(/^(maxIterations|maxOutputChars|cellTimeoutMs|subConcurrency)$/);
    }
  });

  it('exports a JSON Schema of run options that refuses unknown keys', () => {
    const schema = runOptionsJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties).sort()).toEqual([...RUN_SETTING_NAMES].sort());
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('CDK context keys', () => {
  it('refuses an unknown key naming the likely one; lets feature flags and known keys through', () => {
    expect(() => checkContextKeys({ maxIteration: '5' })).toThrow(/^unknown context key maxIteration; did you mean maxIterations\?/);
    expect(() => checkContextKeys({ stackname: 'x' })).toThrow(/did you mean stackName\?/);
    expect(() => checkContextKeys({
      '@aws-cdk/core:checkSecretUsage': true, 'aws:cdk:enable-path-metadata': true, 'availability-zones:account=1:region=x': [],
      maxIterations: '5', vpcId: 'vpc-1', subModelId: 'a.b',
    })).not.toThrow();
    expect(KNOWN_CONTEXT_KEYS).toEqual(expect.arrayContaining(Object.values(CONTEXT_KEYS)));
  });
});

describe('one declaration', () => {
  it('the pipeline config takes its bounds and allowed values from the table (a changed table changes the check)', () => {
    jest.isolateModules(() => {
      const settings = require('../../lambdas/core/settings') as typeof import('../../lambdas/core/settings');
      const { z } = require('zod') as typeof import('zod');
      const table = settings.SETTINGS as unknown as Record<string, { schema: unknown }>;
      table.maxIterations.schema = z.number().int().min(2).max(7);
      table.networkMode.schema = z.enum(['PUBLIC', 'VPC', 'EDGE'], { error: 'must be one of PUBLIC, VPC, EDGE' });
      const { resolvePipelineConfig: resolve } = require('../../lib/pipeline-config') as typeof import('../../lib/pipeline-config');
      expect(() => resolve({ maxIterations: 8 })).toThrow(/^maxIterations must be an integer from 2 to 7, got 8/);
      expect(resolve({ maxIterations: 7, networkMode: 'edge' as never })).toMatchObject({ maxIterations: 7, networkMode: 'EDGE' });
    });
  });

  it('RunConfig has exactly the run settings of the table as fields (checked by the compiler)', () => {
    type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
    const sameKeys: Equal<keyof RunConfig, RunSettingName> = true;
    const capsOptional: Equal<Pick<RunConfig, 'maxSubCalls'>, { maxSubCalls?: number }> = true;
    const defaultsRequired: Equal<Pick<RunConfig, 'maxIterations'>, { maxIterations: number }> = true;
    expect([sameKeys, capsOptional, defaultsRequired]).toEqual([true, true, true]);
    expect(Object.keys(DEFAULT_RUN_CONFIG).every((k) => (RUN_SETTING_NAMES as string[]).includes(k))).toBe(true);
  });
});
