import { costOf, type PriceTable, DEFAULT_PRICES } from './pricing';
import type { RunConfig, RunTotals, RunUsage, SubCallStats, TurnRecord } from './types';

/** Totals of a run with nothing recorded yet. */
export function zeroTotals(): RunTotals {
  return {
    rootInputTokens: 0, rootOutputTokens: 0, rootCacheReadTokens: 0, rootCacheWriteTokens: 0,
    subInputTokens: 0, subOutputTokens: 0, subCalls: 0, subCallErrors: 0,
    cellSeconds: 0, costUsd: 0, consecutiveErrors: 0,
  };
}

/** A turn counts as an error turn when no code ran, or every cell raised or timed out. */
export function isErrorTurn(turn: TurnRecord): boolean {
  if (turn.kind === 'final_call') return false;
  if (turn.cells.length === 0) return true;
  return turn.cells.every((c) => c.result.raised || c.result.timedOut);
}

/** Add one turn to running totals (pure). Cost uses each sub-call's own model when every call was recorded. */
export function addTurn(totals: RunTotals, turn: TurnRecord, config: RunConfig, prices: PriceTable = DEFAULT_PRICES): RunTotals {
  const t = { ...totals };
  t.rootInputTokens += turn.rootUsage.inputTokens;
  t.rootOutputTokens += turn.rootUsage.outputTokens;
  t.rootCacheReadTokens += turn.rootUsage.cacheReadTokens ?? 0;
  t.rootCacheWriteTokens += turn.rootUsage.cacheWriteTokens ?? 0;
  t.costUsd += costOf(turn.rootModelId, turn.rootUsage, prices);
  for (const cell of turn.cells) {
    const sub = cell.result.sub;
    t.subInputTokens += sub.inputTokens;
    t.subOutputTokens += sub.outputTokens;
    t.subCalls += sub.calls;
    t.subCallErrors += sub.errors;
    t.cellSeconds += cell.result.durationMs / 1000;
    t.costUsd += costOfSubCalls(sub, config, prices);
  }
  t.consecutiveErrors = isErrorTurn(turn) ? t.consecutiveErrors + 1 : 0;
  return t;
}

/** Cost of one cell's sub-calls: the cost priced when the cell finished if recorded, else each record's own model when every call was recorded, else the sub model's price. */
export function costOfSubCalls(sub: SubCallStats, config: Pick<RunConfig, 'subModelId'>, prices: PriceTable = DEFAULT_PRICES): number {
  // Priced when the cell finished (before its records may have been spilled to an artifact).
  if (sub.costUsd !== undefined) return sub.costUsd;
  if (sub.records.length === sub.calls) {
    return sub.records.reduce((n, r) => n + costOf(r.model || config.subModelId, { inputTokens: r.inputTokens, outputTokens: r.outputTokens }, prices), 0);
  }
  return costOf(config.subModelId, { inputTokens: sub.inputTokens, outputTokens: sub.outputTokens }, prices);
}

/** Totals of a whole run, derived from its turns (the run item's copy is a cache of this). */
export function computeTotals(turns: TurnRecord[], config: RunConfig, prices?: PriceTable): RunTotals {
  return turns.reduce((acc, turn) => addTurn(acc, turn, config, prices), zeroTotals());
}

/** Root + sub tokens (input + output, cache included) the totals count against `maxTotalTokens`. */
export function tokensUsed(t: RunTotals): number {
  return t.rootInputTokens + t.rootOutputTokens + t.rootCacheReadTokens + t.rootCacheWriteTokens + t.subInputTokens + t.subOutputTokens;
}

/** The first optional limit the totals have reached, described for the model and the result; undefined if none. */
export function exceededLimit(totals: RunTotals, config: RunConfig): string | undefined {
  if (config.maxSubCalls !== undefined && totals.subCalls >= config.maxSubCalls) {
    return `maxSubCalls (${totals.subCalls} of ${config.maxSubCalls} sub-calls made)`;
  }
  const tokens = tokensUsed(totals);
  if (config.maxTotalTokens !== undefined && tokens >= config.maxTotalTokens) {
    return `maxTotalTokens (${tokens} of ${config.maxTotalTokens} tokens used)`;
  }
  if (config.maxCostUsd !== undefined && totals.costUsd >= config.maxCostUsd) {
    return `maxCostUsd ($${totals.costUsd.toFixed(4)} of $${config.maxCostUsd} spent)`;
  }
  if (config.maxConsecutiveErrors !== undefined && totals.consecutiveErrors >= config.maxConsecutiveErrors) {
    return `maxConsecutiveErrors (${totals.consecutiveErrors} turns in a row without code that ran cleanly)`;
  }
  return undefined;
}

/** The usage block reported to users. */
export function usageOf(totals: RunTotals): RunUsage {
  return {
    rootInputTokens: totals.rootInputTokens,
    rootOutputTokens: totals.rootOutputTokens,
    rootCacheReadTokens: totals.rootCacheReadTokens,
    rootCacheWriteTokens: totals.rootCacheWriteTokens,
    subInputTokens: totals.subInputTokens,
    subOutputTokens: totals.subOutputTokens,
    subCalls: totals.subCalls,
  };
}
