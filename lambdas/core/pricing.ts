import { z } from 'zod';
import { didYouMean } from './did-you-mean';
import { ConfigError } from './errors';
import type { RunConfig, TokenUsage, TurnRecord } from './types';

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** Price table: model-ID substring -> price. The first matching entry (longest key first) wins. */
export type PriceTable = Record<string, ModelPrice>;

/**
 * Default on-demand Bedrock prices (USD per 1M tokens, us-east-1 list prices at the time of writing).
 * Override locally with `rlm run --prices FILE`. A model missing from the table is never silently $0:
 * with an explicit table it is a `ConfigError` at start (`requirePrices`); with this default table the
 * run's summary lists it in `unpricedModels` and its cost is a lower bound (`unpricedModelsOf`).
 */
export const DEFAULT_PRICES: PriceTable = {
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'nova-pro': { input: 0.8, output: 3.2 },
  'nova-lite': { input: 0.06, output: 0.24 },
  'nova-micro': { input: 0.035, output: 0.14 },
  scripted: { input: 0, output: 0 },
};

/**
 * The matching key of each model ID already looked up, per table (tables are never changed once built:
 * the totals of a run price every turn again, and sorting the keys each time was most of that).
 */
const LOOKUPS = new WeakMap<PriceTable, Map<string, string | undefined>>();

/** Find the price of a model ID, or undefined when the table has none. */
export function priceFor(modelId: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  let keys = LOOKUPS.get(table);
  if (!keys) LOOKUPS.set(table, (keys = new Map()));
  if (!keys.has(modelId)) keys.set(modelId, Object.keys(table).sort((a, b) => b.length - a.length).find((k) => modelId.includes(k)));
  const key = keys.get(modelId);
  return key === undefined ? undefined : table[key];
}

/** Cost in USD of a usage under a price table (0 for unknown models: see `unpricedModelsOf`). */
export function costOf(modelId: string, usage: TokenUsage, table: PriceTable = DEFAULT_PRICES): number {
  const p = priceFor(modelId, table);
  if (!p) return 0;
  const m = 1_000_000;
  return (
    (usage.inputTokens * p.input) / m +
    (usage.outputTokens * p.output) / m +
    ((usage.cacheReadTokens ?? 0) * (p.cacheRead ?? p.input)) / m +
    ((usage.cacheWriteTokens ?? 0) * (p.cacheWrite ?? p.input)) / m
  );
}

const price = z.number().min(0);
/** Schema of a price table: model-ID substring -> USD per 1M tokens (exported as schemas/price-table.schema.json). */
export const priceTableSchema = z.record(z.string(), z.strictObject({
  input: price, output: price, cacheRead: price.optional(), cacheWrite: price.optional(),
})).describe('rlm-pipeline price table: model-ID substring -> USD per 1M tokens');

const PRICE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite'];

/**
 * Check an untrusted price table (e.g. a `--prices` file) against `priceTableSchema`: every entry needs numeric
 * `input` and `output` (and numeric `cacheRead`/`cacheWrite` when present), all >= 0, and no other field.
 * Throws `ConfigError` naming the entry and field, instead of letting a typo price the run as NaN.
 */
export function validatePriceTable(raw: unknown): PriceTable {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('a price table must be a JSON object {"model-id-substring": {"input": 3, "output": 15}}');
  const parsed = priceTableSchema.safeParse(raw);
  if (parsed.success) return raw as PriceTable;
  const issue = parsed.error.issues[0];
  const [key, field] = issue.path.map(String);
  const entry = (raw as Record<string, unknown>)[key];
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0];
    throw new ConfigError(`price of "${key}": unknown field "${unknown}"${didYouMean(unknown, PRICE_FIELDS)} (fields: ${PRICE_FIELDS.join(', ')})`);
  }
  if (field === undefined) throw new ConfigError(`price of "${key}" must be an object with "input" and "output" (USD per 1M tokens)`);
  const value = (entry as Record<string, unknown>)[field];
  throw new ConfigError(`price of "${key}": "${field}" must be a number >= 0 (USD per 1M tokens), got ${JSON.stringify(value)}`);
}

/**
 * Check a run's models against the price table at start. With an explicit table (`explicit`, e.g. from
 * `--prices`) every configured root/sub model needs an entry; with any table a cost cap needs prices
 * for every model it bounds, since an unpriced model would spend past it unseen. Throws `ConfigError`
 * naming the models.
 */
export function requirePrices(config: Pick<RunConfig, 'rootModelId' | 'subModelId' | 'maxCostUsd'>, table: PriceTable | undefined): void {
  const models = [...new Set([config.rootModelId, config.subModelId])];
  const missing = models.filter((m) => !priceFor(m, table ?? DEFAULT_PRICES));
  if (missing.length === 0) return;
  const list = missing.map((m) => JSON.stringify(m)).join(', ');
  if (table) throw new ConfigError(`the price table has no entry for ${list}: add one (USD per 1M tokens), or the run's cost would count it as $0`);
  if (config.maxCostUsd !== undefined) throw new ConfigError(`maxCostUsd cannot be enforced: no price for ${list} in the default table; pass a price table (--prices FILE) with an entry for it`);
}

/** Models a run used that the table has no price for (their usage is not in `costUsd`), sorted. */
export function unpricedModelsOf(turns: TurnRecord[], config: Pick<RunConfig, 'subModelId'>, table: PriceTable = DEFAULT_PRICES): string[] {
  const used = new Set<string>();
  for (const t of turns) {
    if (t.rootUsage.inputTokens + t.rootUsage.outputTokens > 0) used.add(t.rootModelId);
    for (const c of t.cells) {
      const sub = c.result.sub;
      if (sub.records.length === sub.calls) for (const r of sub.records) used.add(r.model || config.subModelId);
      else if (sub.calls > 0) used.add(config.subModelId);
    }
  }
  return [...used].filter((m) => m && !priceFor(m, table)).sort();
}
