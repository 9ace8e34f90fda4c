/** The settings table: the run config, the pipeline config, the context-key check and help derive from it. */
import { DEFAULT_RUN_CONFIG, resolveRunConfig } from '../../lambdas/core/config';
import { closestName, didYouMean } from '../../lambdas/core/did-you-mean';
import { ConfigError } from '../../lambdas/core/errors';
import { boundsOf, KNOWN_CONTEXT_KEYS, RUN_SETTING_NAMES, runOptionsJsonSchema, SETTINGS } from '../../lambdas/core/settings';
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
