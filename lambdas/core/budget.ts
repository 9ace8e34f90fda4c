/**
 * Caps at call time: what a run may still spend when a cell starts (`SubCallBudget`), derived from the
 * run's limits and everything spent so far, including the root call of this turn and the earlier cells
 * of this turn. The sandbox enforces it at each sub-call; after a cell whose result has `capReached`,
 * the rest of the turn is not executed and the run stops as `limit` (turn-step's final tool-less call).
 */
import { costOfSubCalls, tokensUsed } from './accounting';
import type { SubCallBudget } from './ports';
import { costOf, priceFor, DEFAULT_PRICES, type ModelPrice, type PriceTable } from './pricing';
import type { CellResult, RunConfig, RunTotals, TokenUsage, TurnRecord } from './types';

/** The models a run's sub-calls may name: the sub model first (the default), then the root model. */
export function allowedModelsOf(config: Pick<RunConfig, 'subModelId' | 'rootModelId'>): string[] {
  return [...new Set([config.subModelId, config.rootModelId].filter((m) => m))];
}

/** The budget of the next cell. Amounts never go below 0 (0 = no sub-call may be made). */
export function cellBudget(config: RunConfig, spent: RunTotals, prices: PriceTable = DEFAULT_PRICES): SubCallBudget {
  const allowedModels = allowedModelsOf(config);
  const modelPrices: Record<string, ModelPrice> = {};
  for (const m of allowedModels) {
    const p = priceFor(m, prices);
    if (p) modelPrices[m] = { input: p.input, output: p.output };
  }
  return {
    ...(config.maxSubCalls !== undefined ? { calls: Math.max(0, config.maxSubCalls - spent.subCalls) } : {}),
    ...(config.maxTotalTokens !== undefined ? { tokens: Math.max(0, config.maxTotalTokens - tokensUsed(spent)) } : {}),
    ...(config.maxCostUsd !== undefined ? { costUsd: Math.max(0, config.maxCostUsd - spent.costUsd) } : {}),
    allowedModels,
    prices: modelPrices,
  };
}

/** Totals plus this turn's root call (not yet recorded), for the budget of the turn's first cell. */
export function withRootCall(totals: RunTotals, modelId: string, usage: TokenUsage, prices: PriceTable = DEFAULT_PRICES): RunTotals {
  return {
    ...totals,
    rootInputTokens: totals.rootInputTokens + usage.inputTokens,
    rootOutputTokens: totals.rootOutputTokens + usage.outputTokens,
    rootCacheReadTokens: totals.rootCacheReadTokens + (usage.cacheReadTokens ?? 0),
    rootCacheWriteTokens: totals.rootCacheWriteTokens + (usage.cacheWriteTokens ?? 0),
    costUsd: totals.costUsd + costOf(modelId, usage, prices),
  };
}

/** Totals plus one executed cell's sub-calls, for the budget of the next cell of the same turn. */
export function withCell(totals: RunTotals, result: Pick<CellResult, 'sub'>, config: RunConfig, prices: PriceTable = DEFAULT_PRICES): RunTotals {
  return {
    ...totals,
    subInputTokens: totals.subInputTokens + result.sub.inputTokens,
    subOutputTokens: totals.subOutputTokens + result.sub.outputTokens,
    subCalls: totals.subCalls + result.sub.calls,
    subCallErrors: totals.subCallErrors + result.sub.errors,
    costUsd: totals.costUsd + costOfSubCalls(result.sub, config, prices),
  };
}

/** The cap a cell of this turn reached at call time (its description), or undefined. */
export function capReachedIn(turn: TurnRecord | undefined): string | undefined {
  return turn?.cells.find((c) => c.result.capReached)?.result.capReached;
}

/** What a cell after a capped cell is answered with. */
export function notExecutedAfterCap(cap: string): string {
  return `Not executed: ${cap} reached in an earlier block of this reply, so the run stops.`;
}
