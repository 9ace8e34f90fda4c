/** RetryingModel: retries throttling/5xx of sub-calls with full jitter, bounded, abortable, announced. */
import { fullJitterDelay, RetryingModel } from '../../../lambdas/adapters/models/retrying-model';
import { AbortError, ModelInvocationError, ModelThrottledError, ModelUnavailableError } from '../../../lambdas/core/errors';
import type { LanguageModel, ModelRequest, ModelResponse, RetryInfo } from '../../../lambdas/core/ports';

const ok: ModelResponse = { content: [{ type: 'text', text: 'fine' }], stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1 }, modelId: 'm', latencyMs: 1 };
const sub: ModelRequest = { role: 'sub', modelId: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };

/** A model failing with the given errors in order, then answering. */
function flaky(errors: Error[]): LanguageModel & { calls: number } {
  const m = {
    description: 'flaky', calls: 0,
    async converse(): Promise<ModelResponse> {
      const e = errors[m.calls++];
      if (e) throw e;
      return ok;
    },
  };
  return m;
}

const fast = { baseDelayMs: 1, maxDelayMs: 4 };

it('retries throttling and unavailability, telling onRetry before each retry', async () => {
  const inner = flaky([new ModelThrottledError('429'), new ModelUnavailableError('503')]);
  const seen: RetryInfo[] = [];
  const policySeen: RetryInfo[] = [];
  const model = new RetryingModel(inner, { ...fast, random: () => 0.5, onRetry: (i) => policySeen.push(i) });
  await expect(model.converse(sub, { onRetry: (i) => seen.push(i) })).resolves.toBe(ok);
  expect(inner.calls).toBe(3);
  expect(seen).toEqual([
    { role: 'sub', attempt: 1, maxAttempts: 4, delayMs: 0, error: 'ModelThrottledError' },
    { role: 'sub', attempt: 2, maxAttempts: 4, delayMs: 1, error: 'ModelUnavailableError' },
  ]);
  expect(policySeen).toEqual(seen);
});

it('gives up after maxRetries with the last error', async () => {
  const inner = flaky(Array.from({ length: 10 }, (_, i) => new ModelUnavailableError(`fail ${i}`)));
  await expect(new RetryingModel(inner, { ...fast, maxRetries: 2 }).converse(sub)).rejects.toMatchObject({ message: 'fail 2' });
  expect(inner.calls).toBe(3);
});

it('does not retry errors a retry cannot fix, nor roles it does not own (root: the state machine retries)', async () => {
  const bad = flaky([new ModelInvocationError('denied')]);
  await expect(new RetryingModel(bad, fast).converse(sub)).rejects.toBeInstanceOf(ModelInvocationError);
  expect(bad.calls).toBe(1);
  const root = flaky([new ModelThrottledError('429')]);
  await expect(new RetryingModel(root, fast).converse({ ...sub, role: 'root' })).rejects.toBeInstanceOf(ModelThrottledError);
  expect(root.calls).toBe(1);
  const rootToo = flaky([new ModelThrottledError('429')]);
  await expect(new RetryingModel(rootToo, { ...fast, roles: ['root', 'sub'] }).converse({ ...sub, role: 'root' })).resolves.toBe(ok);
});

it('an abort during the backoff rejects at once with AbortError and makes no further attempt', async () => {
  const inner = flaky([new ModelThrottledError('429'), new ModelThrottledError('429')]);
  const controller = new AbortController();
  const model = new RetryingModel(inner, { baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.99 });
  setTimeout(() => controller.abort(), 50);
  const t0 = Date.now();
  await expect(model.converse(sub, { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  expect(Date.now() - t0).toBeLessThan(2_000);
  expect(inner.calls).toBe(1);
});

it('full jitter: uniform below min(max, base * 2^(retry-1))', () => {
  expect(fullJitterDelay(1, 1000, 20_000, () => 0.999)).toBe(999);
  expect(fullJitterDelay(3, 1000, 20_000, () => 0.5)).toBe(2000);
  expect(fullJitterDelay(10, 1000, 20_000, () => 0.5)).toBe(10_000);
  expect(fullJitterDelay(2, 1000, 20_000, () => 0)).toBe(0);
  const samples = Array.from({ length: 200 }, () => fullJitterDelay(2, 1000, 20_000));
  expect(Math.max(...samples)).toBeLessThan(2000);
  expect(new Set(samples).size).toBeGreaterThan(50);
});
