/** Small statistics shared by the batch summary and the evaluation summary. */

/** Nearest-rank percentile of an ascending-sorted, non-empty sample (p in 0..100); undefined when empty. */
export function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}
