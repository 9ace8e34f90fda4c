/**
 * The environment contract between the CDK stack (`lib/`) and the Lambda handlers. The variables that carry
 * settings, their parsing, bounds and defaults come from the settings table (`lambdas/core/settings.ts`: a row's
 * `env`); the rest say where the stack's resources are. The stack writes them with `settingEnvironment`;
 * `readLambdaEnv` validates them once per container.
 */
import { settingFromText } from '../core/config';
import { ConfigError } from '../core/errors';
import { ENV_SETTING_NAMES, SETTINGS, type EnvSettingName, type SettingValue } from '../core/settings';
import type { RunConfig } from '../core/types';
import { BUCKET_PREFIXES } from '../core/bucket-layout';

/** Variables that are not settings: the resources of the stack. */
export const RESOURCE_ENV = {
  tableName: 'TABLE_NAME',
  bucketName: 'BUCKET_NAME',
  resultsPrefix: 'RESULTS_PREFIX',
  codeInterpreterId: 'CODE_INTERPRETER_ID',
  /** Comma-separated sub models the sandbox role may invoke (a run may pick any of them). */
  allowedSubModelIds: 'ALLOWED_SUB_MODEL_IDS',
  eventBusName: 'EVENT_BUS_NAME',
} as const;

/** Variable of each setting that has one (the table's `env`). */
export type SettingEnv = { readonly [K in EnvSettingName]: (typeof SETTINGS)[K]['env'] };

/** Names of the environment variables the stack sets on the run Lambdas: resources, then settings. */
export const LAMBDA_ENV: typeof RESOURCE_ENV & SettingEnv = {
  ...RESOURCE_ENV,
  ...(Object.fromEntries(ENV_SETTING_NAMES.map((k) => [k, SETTINGS[k].env])) as SettingEnv),
};

/** Settings without a table default (optional caps): absent from the environment when not configured. */
type OptionalEnvSetting = { [K in EnvSettingName]: (typeof SETTINGS)[K] extends { default: unknown } ? never : K }[EnvSettingName];

/** The settings the environment carries, typed by the table. */
export type EnvSettings = { [K in Exclude<EnvSettingName, OptionalEnvSetting>]: SettingValue<K> } & { [K in OptionalEnvSetting]?: SettingValue<K> };

/** Validated Lambda environment. */
export type LambdaEnv = EnvSettings & {
  tableName: string;
  bucketName: string;
  resultsPrefix: string;
  codeInterpreterId: string;
  /** Sub models a run may choose (IAM allows exactly these); defaults to `[subModelId]`. */
  allowedSubModelIds: string[];
  eventBusName: string;
  region: string;
  /** The stack's defaults of every per-run setting the environment carries (a `RunConfig` part). */
  runDefaults: Partial<RunConfig>;
};

/** The environment variables of setting values (each defined value, as text). */
export function settingEnvironment(values: Partial<Record<EnvSettingName, string | number>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ENV_SETTING_NAMES) {
    const v = values[k];
    if (v !== undefined) out[SETTINGS[k].env] = String(v);
  }
  return out;
}

/** Read and validate the environment. Throws `ConfigError` naming the missing or bad variable. */
export function readLambdaEnv(env: NodeJS.ProcessEnv = process.env): LambdaEnv {
  const str = (key: keyof typeof RESOURCE_ENV, fallback?: string): string => {
    const v = env[RESOURCE_ENV[key]] || fallback;
    if (v === undefined || v === '') throw new ConfigError(`environment variable ${RESOURCE_ENV[key]} is not set`);
    return v;
  };
  const settings: Record<string, unknown> = {};
  for (const k of ENV_SETTING_NAMES) {
    const name = SETTINGS[k].env;
    const raw = env[name];
    const fallback = (SETTINGS[k] as { default?: unknown }).default;
    if (raw === undefined || raw === '') {
      if (fallback !== undefined) settings[k] = fallback;
      continue;
    }
    settings[k] = settingFromText(k, raw, `environment variable ${name}`);
  }
  const runDefaults = Object.fromEntries(Object.entries(settings).filter(([k]) => SETTINGS[k as EnvSettingName].run)) as Partial<RunConfig>;
  const parsed = {
    ...(settings as EnvSettings),
    tableName: str('tableName'),
    bucketName: str('bucketName'),
    resultsPrefix: str('resultsPrefix', BUCKET_PREFIXES.results),
    codeInterpreterId: str('codeInterpreterId'),
    allowedSubModelIds: (env[RESOURCE_ENV.allowedSubModelIds] ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    eventBusName: str('eventBusName', 'default'),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    runDefaults,
  };
  if (!parsed.allowedSubModelIds.includes(parsed.subModelId)) parsed.allowedSubModelIds.unshift(parsed.subModelId);
  return parsed;
}
