/**
 * Run configuration: defaults and validation, derived from the settings table (`settings.ts`), which declares
 * each setting's type, bounds and default once. The exported names are those the rest of the code uses.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean';
import { ConfigError } from './errors';
import { RUN_SETTING_NAMES, SETTINGS, type SettingName, type SettingValue } from './settings';
import type { RunConfig } from './types';

export { DEFAULT_ROOT_MODEL_ID, DEFAULT_SUB_MODEL_ID } from './settings';

/** Defaults for every run (the table's defaults of the run settings that have one). */
export const DEFAULT_RUN_CONFIG: RunConfig = Object.fromEntries(
  RUN_SETTING_NAMES.flatMap((k) => {
    const d = (SETTINGS[k] as { default?: unknown }).default;
    return d === undefined ? [] : [[k, d]];
  }),
) as unknown as RunConfig;

export { MIN_CELL_TIME_MS } from './settings';

/** Largest stdout+stderr the sandbox captures per cell (head and tail kept); the model sees at most maxOutputChars. */
export const MAX_CAPTURE_CHARS = 1_000_000;

/** A zod issue as one line: `maxIterations must be at least 1, got 0` (the table's schemas carry the messages). */
function problem(key: string, value: unknown, issue: z.core.$ZodIssue | undefined): string {
  return `${key} ${issue?.message ?? 'is not valid'}, got ${JSON.stringify(value)}`;
}

/**
 * A setting given as text (an environment variable, a CDK `-c` value): a number where the table declares one,
 * validated against the table. Throws `ConfigError` naming `label`: `environment variable MAX_ITERATIONS must be
 * at least 1, got 0`.
 */
export function settingFromText<K extends SettingName>(name: K, raw: string, label: string = name): SettingValue<K> {
  const schema = SETTINGS[name].schema as z.ZodType;
  const text = raw.trim();
  const asText = schema.safeParse(text);
  if (asText.success) return asText.data as SettingValue<K>;
  const n = Number(text);
  if (text !== '' && Number.isFinite(n)) {
    const asNumber = schema.safeParse(n);
    if (asNumber.success) return asNumber.data as SettingValue<K>;
    throw new ConfigError(problem(label, n, asNumber.error.issues[0]));
  }
  throw new ConfigError(problem(label, raw, asText.error.issues[0]));
}

/**
 * Merge overrides onto the defaults and validate each value against the settings table. Throws `ConfigError`
 * naming the bad field. Unknown keys are refused (with the likely one) so typos do not fall back to defaults.
 */
export function resolveRunConfig(overrides: Partial<Record<string, unknown>> = {}): RunConfig {
  const known = new Set<string>(RUN_SETTING_NAMES);
  for (const key of Object.keys(overrides)) {
    if (!known.has(key)) {
      throw new ConfigError(`unknown run option "${key}"${didYouMean(key, known)} (known: ${[...known].sort().join(', ')})`);
    }
  }
  const merged: Record<string, unknown> = { ...DEFAULT_RUN_CONFIG };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined && v !== null) merged[k] = v;
  for (const key of RUN_SETTING_NAMES) {
    if (merged[key] === undefined) continue;
    const parsed = (SETTINGS[key].schema as z.ZodType).safeParse(merged[key]);
    if (!parsed.success) throw new ConfigError(problem(key, merged[key], parsed.error.issues[0]));
    merged[key] = parsed.data;
  }
  return merged as unknown as RunConfig;
}
