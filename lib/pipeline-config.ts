/**
 * Deployment configuration of the pipeline: typed, defaulted, validated at synth, and readable from
 * CDK context (`npx cdk deploy -c rootModelId=... -c maxIterations=20`).
 *
 * Pure: no aws-cdk-lib import. Invalid values throw `ConfigError` naming the context key and what
 * is allowed, so a bad `-c` fails `cdk synth` instead of the first run.
 */
import type { z } from 'zod';
import { DEFAULT_RUN_CONFIG } from '../lambdas/core/config';
import { serializeWatchProfiles, parseWatchProfilesJson, validateWatchProfiles, type WatchProfiles } from '../lambdas/core/batch/watch-profiles';
import { didYouMean } from '../lambdas/core/did-you-mean';
import { ConfigError } from '../lambdas/core/errors';
import {
  boundsOf, isNumericSetting, KNOWN_CONTEXT_KEYS, LOG_RETENTION_DAYS as TABLE_LOG_RETENTION_DAYS, SETTINGS, type PipelineSettings, type SettingName, type SettingValue,
} from '../lambdas/core/settings';

/** How the sandbox reaches the network (declared in the settings table). */
export type NetworkMode = SettingValue<'networkMode'>;
/** What happens to data resources (bucket, table, log groups) when the stack is deleted (declared in the settings table). */
export type RemovalPolicyName = SettingValue<'removalPolicy'>;

/** Allowed network modes (the table's). */
export const NETWORK_MODES: readonly NetworkMode[] = SETTINGS.networkMode.schema.options;
/** Allowed removal policies (the table's). */
export const REMOVAL_POLICIES: readonly RemovalPolicyName[] = SETTINGS.removalPolicy.schema.options;
/** Retention periods CloudWatch Logs accepts, in days (declared in the settings table). */
export const LOG_RETENTION_DAYS: readonly number[] = TABLE_LOG_RETENTION_DAYS;

/** Timeout of the root-turn Lambda (the Lambda maximum): one root-model call plus the cells it runs. */
export const ROOT_TURN_TIMEOUT_SECONDS = 900;
/** Part of the root-turn timeout kept for the model call and the turn write; a cell gets at most the rest. */
export const CELL_TIMEOUT_MARGIN_SECONDS = 180;
/** Largest per-cell time limit (ms). */
export const MAX_CELL_TIMEOUT_MS = (ROOT_TURN_TIMEOUT_SECONDS - CELL_TIMEOUT_MARGIN_SECONDS) * 1000;
/** AgentCore Code Interpreter sessions live at most 8 hours. */
export const MAX_SESSION_TIMEOUT_SECONDS = 8 * 60 * 60;

/** Geography prefixes of Bedrock system (cross-region) inference-profile IDs. */
export const INFERENCE_PROFILE_PREFIXES: readonly string[] = ['us', 'eu', 'apac', 'us-gov', 'jp', 'au', 'ca', 'global'];

/**
 * The validated deployment configuration: the table's pipeline settings (`PipelineSettings`, inferred from
 * `lambdas/core/settings.ts`, where each field's type, bounds, default and help line are declared), except that
 * the stack takes a list of sub-model IDs (`subModelIds`; the first is the default, `SUB_MODEL_ID`) and the watch
 * profiles as checked objects (`inbox/<profile>/` -> standing questions, docs/triggers.md).
 */
export type PipelineConfig = Omit<PipelineSettings, 'subModelId' | 'watchProfiles'> & {
  /** Models `llm_query` may call from the sandbox; the first is the default (`SUB_MODEL_ID`). */
  readonly subModelIds: readonly string[];
  /** Watch folders: `inbox/<profile>/` -> standing questions (docs/triggers.md); at most 3,072 bytes as JSON. */
  readonly watchProfiles?: WatchProfiles;
};

/** Input of `resolvePipelineConfig`: every field optional; `subModelIds` also accepts one ID. */
export type PipelineConfigInput = Partial<Omit<PipelineConfig, 'subModelIds' | 'watchProfiles' | 'logRetentionDays'>> & {
  /** Days (one of `LOG_RETENTION_DAYS`; any number is accepted here and checked at synth). */
  readonly logRetentionDays?: number;
  readonly subModelIds?: string | readonly string[];
  /** An object, or its JSON (from `-c watchProfiles='{...}'`). */
  readonly watchProfiles?: WatchProfiles | string;
};

/** Defaults (run defaults come from `lambdas/core/config.ts`, so the CLI and the stack agree). */
export const DEFAULT_PIPELINE_CONFIG: PipelineConfig = {
  rootModelId: DEFAULT_RUN_CONFIG.rootModelId,
  subModelIds: [DEFAULT_RUN_CONFIG.subModelId],
  maxIterations: DEFAULT_RUN_CONFIG.maxIterations,
  maxOutputChars: DEFAULT_RUN_CONFIG.maxOutputChars,
  cellTimeoutMs: DEFAULT_RUN_CONFIG.cellTimeoutMs,
  subConcurrency: DEFAULT_RUN_CONFIG.subConcurrency,
  sessionTimeoutSeconds: SETTINGS.sessionTimeoutSeconds.default,
  networkMode: SETTINGS.networkMode.default,
  logRetentionDays: SETTINGS.logRetentionDays.default,
  removalPolicy: SETTINGS.removalPolicy.default,
  runTtlDays: SETTINGS.runTtlDays.default,
  maxInputChars: SETTINGS.maxInputChars.default,
  batchMaxConcurrency: SETTINGS.batchMaxConcurrency.default,
};

/**
 * CDK context keys (`-c key=value`), by config field. Numbers may be given as strings; `subModelId`
 * takes one ID, a comma-separated list or (in cdk.json) a JSON array.
 */
export const CONTEXT_KEYS = {
  rootModelId: SETTINGS.rootModelId.context,
  subModelIds: SETTINGS.subModelId.context,
  maxIterations: SETTINGS.maxIterations.context,
  maxOutputChars: SETTINGS.maxOutputChars.context,
  cellTimeoutMs: SETTINGS.cellTimeoutMs.context,
  subConcurrency: SETTINGS.subConcurrency.context,
  subMaxOutputTokens: SETTINGS.subMaxOutputTokens.context,
  sessionTimeoutSeconds: SETTINGS.sessionTimeoutSeconds.context,
  networkMode: SETTINGS.networkMode.context,
  logRetentionDays: SETTINGS.logRetentionDays.context,
  removalPolicy: SETTINGS.removalPolicy.context,
  runTtlDays: SETTINGS.runTtlDays.context,
  maxInputChars: SETTINGS.maxInputChars.context,
  schedule: SETTINGS.schedule.context,
  batchMaxConcurrency: SETTINGS.batchMaxConcurrency.context,
  watchProfiles: SETTINGS.watchProfiles.context,
} as const satisfies Record<keyof PipelineConfig, string>;

/**
 * Refuse a context key the app does not know, naming the likely one ("unknown context key maxIteration; did
 * you mean maxIterations?"), so a typo does not silently fall back to a default. Keys with a `:` (CDK feature
 * flags, lookups, `aws:cdk:*`) and CDK's own keys are not the app's and pass.
 */
export function checkContextKeys(context: Record<string, unknown>): void {
  for (const key of Object.keys(context)) {
    if (key.includes(':') || key.startsWith('@') || CDK_OWN_CONTEXT_KEYS.has(key) || KNOWN_CONTEXT_KEYS.includes(key)) continue;
    throw new ConfigError(`unknown context key ${key}${didYouMean(key, KNOWN_CONTEXT_KEYS)} (known: ${[...KNOWN_CONTEXT_KEYS].sort().join(', ')})`);
  }
}

/** Context keys the CDK CLI itself may set (not the app's settings). */
const CDK_OWN_CONTEXT_KEYS = new Set(['acknowledged-issue-numbers', 'cli-telemetry', 'assetOutputs']);

const MODEL_ID = /^[a-z0-9-]+\.[A-Za-z0-9._:-]+$/;

function fail(field: keyof PipelineConfig, message: string): never {
  throw new ConfigError(`${CONTEXT_KEYS[field]} ${message}`);
}

/** Pipeline settings of the table that `resolvePipelineConfig` checks with the table's schema. */
type TableField = keyof PipelineConfig & SettingName;

/**
 * `value` checked by the table's schema of `field` (type, bounds, allowed values: declared there once). A refusal
 * names the context key and what is allowed: `maxIterations must be an integer from 1 to 200, got 0`. `max`
 * tightens the table's upper bound with a limit of the stack (said in `note`).
 */
function tableValue<K extends TableField>(field: K, value: unknown, opts: { note?: string; max?: number } = {}): SettingValue<K> {
  const schema = SETTINGS[field].schema as z.ZodType & { isInt?: boolean };
  const parsed = schema.safeParse(value);
  const bounds = boundsOf(field);
  const max = Math.min(bounds.max, opts.max ?? Infinity);
  if (parsed.success && !((parsed.data as number) > max)) return parsed.data as SettingValue<K>;
  const what = schema.isInt ? `must be an integer from ${bounds.min} to ${max}` : parsed.error?.issues[0]?.message ?? `must be at most ${max}`;
  return fail(field, `${what}${opts.note ?? ''}, got ${JSON.stringify(value)}`);
}

function modelId(field: 'rootModelId' | 'subModelIds', value: unknown): string {
  // Layered on the table's check (a non-empty ID): the stack only calls Bedrock, so the ID must be one of its forms.
  if (typeof value !== 'string' || !MODEL_ID.test(value.trim())) {
    fail(field, 'must be a Bedrock model ID (e.g. anthropic.claude-haiku-4-5-20251001-v1:0) or a system inference-profile ID '
      + `(prefix ${INFERENCE_PROFILE_PREFIXES.join('|')}, e.g. us.anthropic.claude-haiku-4-5-20251001-v1:0); ARNs are not accepted; got ${JSON.stringify(value)}`);
  }
  return value.trim();
}

/** `value` upper- or lower-cased to the table's spelling when it is a string (`-c networkMode=vpc`). */
const caseOf = (value: unknown, upper: boolean): unknown => (typeof value === 'string' ? (upper ? value.toUpperCase() : value.toLowerCase()) : value);

/**
 * Merge `input` onto the defaults and validate each field with the settings table's schema (plus the stack's own
 * limits: Bedrock model IDs, the cell time the root-turn Lambda leaves). Throws `ConfigError` naming the context
 * key and the allowed values.
 */
export function resolvePipelineConfig(input: PipelineConfigInput = {}): PipelineConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as PipelineConfigInput;
  const merged = { ...DEFAULT_PIPELINE_CONFIG, ...defined };

  const subs = typeof merged.subModelIds === 'string' ? [merged.subModelIds] : [...(merged.subModelIds ?? [])];
  if (subs.length === 0) fail('subModelIds', 'must name at least one model');
  const subModelIds = [...new Set(subs.map((s) => modelId('subModelIds', s)))];
  const schedule = merged.schedule === undefined || merged.schedule === '' ? undefined : tableValue('schedule', merged.schedule);

  return {
    rootModelId: modelId('rootModelId', merged.rootModelId),
    subModelIds,
    maxIterations: tableValue('maxIterations', merged.maxIterations),
    maxOutputChars: tableValue('maxOutputChars', merged.maxOutputChars),
    cellTimeoutMs: tableValue('cellTimeoutMs', merged.cellTimeoutMs, {
      max: MAX_CELL_TIMEOUT_MS,
      note: ` (ms; the root-turn Lambda timeout is ${ROOT_TURN_TIMEOUT_SECONDS} s and ${CELL_TIMEOUT_MARGIN_SECONDS} s are kept for the model call)`,
    }),
    subConcurrency: tableValue('subConcurrency', merged.subConcurrency),
    ...(merged.subMaxOutputTokens !== undefined ? { subMaxOutputTokens: tableValue('subMaxOutputTokens', merged.subMaxOutputTokens) } : {}),
    sessionTimeoutSeconds: tableValue('sessionTimeoutSeconds', merged.sessionTimeoutSeconds, { note: ' (seconds; AgentCore sessions last at most 8 hours)' }),
    networkMode: tableValue('networkMode', caseOf(merged.networkMode, true)),
    logRetentionDays: tableValue('logRetentionDays', merged.logRetentionDays),
    removalPolicy: tableValue('removalPolicy', caseOf(merged.removalPolicy, false)),
    runTtlDays: tableValue('runTtlDays', merged.runTtlDays),
    maxInputChars: tableValue('maxInputChars', merged.maxInputChars),
    ...(schedule ? { schedule } : {}),
    batchMaxConcurrency: tableValue('batchMaxConcurrency', merged.batchMaxConcurrency),
    ...watchProfilesOf(merged.watchProfiles),
  };
}

/** Validate watch profiles (object or JSON) within the environment size limit; absent or empty: none. */
function watchProfilesOf(raw: unknown): { watchProfiles?: WatchProfiles } {
  const profiles = typeof raw === 'string' ? parseWatchProfilesJson(raw, CONTEXT_KEYS.watchProfiles) : validateWatchProfiles(raw);
  serializeWatchProfiles(profiles);
  return Object.keys(profiles).length ? { watchProfiles: profiles } : {};
}

/** Config fields whose setting is a number (read from the table: its schema accepts a number). */
const NUMERIC_FIELDS = new Set<keyof PipelineConfig>((Object.keys(CONTEXT_KEYS) as Array<keyof PipelineConfig>)
  .filter((f) => Object.prototype.hasOwnProperty.call(SETTINGS, f) && isNumericSetting(f as SettingName)));

/**
 * Read the config fields from CDK context. `getContext` is `(key) => node.tryGetContext(key)`.
 * Strings from `-c` become numbers and lists; a non-number where a number is expected throws `ConfigError`.
 * The result still needs `resolvePipelineConfig`.
 */
export function pipelineConfigFromContext(getContext: (key: string) => unknown): PipelineConfigInput {
  const out: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(CONTEXT_KEYS) as Array<[keyof PipelineConfig, string]>) {
    const raw = getContext(key);
    if (raw === undefined || raw === null || raw === '') continue;
    if (NUMERIC_FIELDS.has(field)) {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) fail(field, `must be a number, got ${JSON.stringify(raw)}`);
      out[field] = n;
    } else if (field === 'subModelIds') {
      out[field] = Array.isArray(raw) ? raw : String(raw).split(',').map((s) => s.trim()).filter(Boolean);
    } else {
      out[field] = raw;
    }
  }
  return out as PipelineConfigInput;
}
