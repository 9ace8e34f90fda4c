/** Bounded concurrency without dependencies. */

/**
 * Map `items` through `fn` with at most `concurrency` calls in flight; results keep input order.
 * A rejection rejects the whole map (callers that tolerate failures catch inside `fn`). Once `stop()`
 * returns true no further item is started (calls in flight finish; untaken items have no result).
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>, stop: () => boolean = () => false,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  const n = Math.max(1, Math.min(Math.floor(concurrency) || 1, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}
