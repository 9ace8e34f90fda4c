import { ConfigError } from './errors';
import type { RunConfig } from './types';

/** Default root model: a Claude Sonnet-class model through a US cross-region inference profile. */
export const DEFAULT_ROOT_MODEL_ID = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
/** Default sub model: Claude Haiku 4.5. */
export const DEFAULT_SUB_MODEL_ID = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';

/** Defaults for every run. */
export const DEFAULT_RUN_CONFIG: RunConfig = {
  rootModelId: DEFAULT_ROOT_MODEL_ID,
  subModelId: DEFAULT_SUB_MODEL_ID,
  maxIterations: 30,
  // Explicit: without it Bedrock applies a model default (4,096 for Anthropic models in practice).
  rootMaxOutputTokens: 16_000,
  maxOutputChars: 20_000,
  cellTimeoutMs: 300_000,
  subConcurrency: 16,
  maxConsecutiveErrors: 8,
};

/**
 * A cell is not started with less time than this left in the turn (cell-runner), so a `cellTimeoutMs`
 * below it could never run any code: it is refused here.
 */
export const MIN_CELL_TIME_MS = 5_000;

/** Largest stdout+stderr the sandbox captures per cell (head and tail kept); the model sees at most maxOutputChars. */
export const MAX_CAPTURE_CHARS = 1_000_000;

const POSITIVE_INTS: Array<keyof RunConfig> = [
  'maxIterations', 'rootMaxOutputTokens', 'maxOutputChars', 'cellTimeoutMs', 'subConcurrency',
  'maxSubCalls', 'maxTotalTokens', 'maxConsecutiveErrors',
];

/**
 * Merge overrides onto the defaults and validate. Throws `ConfigError` naming the bad field.
 * Unknown keys are refused so typos do not silently fall back to defaults.
 */
export function resolveRunConfig(overrides: Partial<Record<string, unknown>> = {}): RunConfig {
  const known = new Set<string>([...Object.keys(DEFAULT_RUN_CONFIG), 'maxSubCalls', 'maxTotalTokens', 'maxCostUsd']);
  for (const key of Object.keys(overrides)) {
    if (!known.has(key)) throw new ConfigError(`unknown run option "${key}" (known: ${[...known].sort().join(', ')})`);
  }
  const merged: Record<string, unknown> = { ...DEFAULT_RUN_CONFIG };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined && v !== null) merged[k] = v;
  for (const key of POSITIVE_INTS) {
    const v = merged[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new ConfigError(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  if (merged.maxCostUsd !== undefined && (typeof merged.maxCostUsd !== 'number' || !(merged.maxCostUsd > 0))) {
    throw new ConfigError(`maxCostUsd must be a positive number, got ${JSON.stringify(merged.maxCostUsd)}`);
  }
  for (const key of ['rootModelId', 'subModelId'] as const) {
    if (typeof merged[key] !== 'string' || !(merged[key] as string).trim()) {
      throw new ConfigError(`${key} must be a non-empty string`);
    }
  }
  if ((merged.maxIterations as number) > 200) throw new ConfigError('maxIterations must be at most 200');
  if ((merged.cellTimeoutMs as number) < MIN_CELL_TIME_MS) {
    throw new ConfigError(`cellTimeoutMs must be at least ${MIN_CELL_TIME_MS} (${MIN_CELL_TIME_MS / 1000} s): a shorter cell could never start, got ${merged.cellTimeoutMs as number}`);
  }
  if ((merged.cellTimeoutMs as number) > 3_600_000) throw new ConfigError('cellTimeoutMs must be at most 3,600,000 (1 hour)');
  if ((merged.rootMaxOutputTokens as number) > 128_000) throw new ConfigError('rootMaxOutputTokens must be at most 128,000');
  if ((merged.subConcurrency as number) > 64) throw new ConfigError('subConcurrency must be at most 64');
  return merged as unknown as RunConfig;
}
