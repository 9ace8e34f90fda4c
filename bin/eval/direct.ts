/**
 * Base and Long Context: one model call with the official LongBench v2 0-shot prompt and the whole context.
 * A prompt that does not fit the window (counted, or estimated, before the call; or refused by the
 * provider) makes the question unsuccessful, as in the published evaluation.
 */
import {
  buildBasePrompt, causeNameOf, classifyFailure, directCallCost, errorText, estimatePromptTokens, EvalAbortedError,
  extractAnswer, fitsWindow, LONGBENCH_MAX_OUTPUT_TOKENS, LONGBENCH_TEMPERATURE, QuestionDeferredError,
  type DirectCallPlan, type LongBenchRecord, type QuestionResult,
} from '../../lambdas/core/eval';
import { describeError } from '../../lambdas/core/errors';
import type { LanguageModel, ModelRequest, ModelResponse } from '../../lambdas/core/ports';
import type { PriceTable } from '../../lambdas/core/pricing';
import type { TokenCounter } from './token-count';

/** Everything a direct call needs. */
export interface DirectDeps {
  model: LanguageModel;
  modelId: string;
  plan: DirectCallPlan;
  approach: 'base' | 'long-context';
  countTokens?: TokenCounter;
  prices?: PriceTable;
  /** Attempts per question for throttling / unavailability (default 5, like the official pred.py). */
  attempts?: number;
  /** Backoff sleep (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Characters of the reply kept in the result for inspection. */
export const ANSWER_PREVIEW_CHARS = 300;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Fields every result of a record shares. */
export function recordFields(record: LongBenchRecord): Pick<QuestionResult, 'id' | 'gold' | 'domain' | 'subDomain' | 'difficulty' | 'length'> {
  return { id: record._id, gold: record.answer, domain: record.domain, subDomain: record.sub_domain, difficulty: record.difficulty, length: record.length };
}

/** The request a direct approach sends for a record. */
export function directRequest(record: LongBenchRecord, modelId: string, plan: DirectCallPlan): ModelRequest {
  return {
    role: 'root', modelId,
    messages: [{ role: 'user', content: [{ type: 'text', text: buildBasePrompt(record) }] }],
    maxOutputTokens: LONGBENCH_MAX_OUTPUT_TOKENS, temperature: LONGBENCH_TEMPERATURE,
    ...(plan.providerOptions ? { providerOptions: plan.providerOptions } : {}),
  };
}

async function converseWithRetry(deps: DirectDeps, request: ModelRequest): Promise<ModelResponse> {
  const attempts = deps.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.model.converse(request);
    } catch (err) {
      const { name } = describeError(err);
      if (classifyFailure(name) !== 'retry-later' || attempt >= attempts) throw err;
      const cap = Math.min(60_000, 2_000 * 2 ** (attempt - 1));
      await (deps.sleep ?? defaultSleep)(Math.round(cap / 2 + Math.random() * (cap / 2)));
    }
  }
}

/**
 * Answer one record with one call. Returns the result to record; throws {@link QuestionDeferredError}
 * (throttled or unavailable after retries: not recorded) or {@link EvalAbortedError} (setup problem).
 */
export async function answerDirect(record: LongBenchRecord, deps: DirectDeps): Promise<QuestionResult> {
  const now = deps.now ?? Date.now;
  const request = directRequest(record, deps.modelId, deps.plan);
  const promptChars = (request.messages[0].content[0] as { text: string }).text.length;
  const counted = deps.countTokens ? await deps.countTokens(request) : undefined;
  const promptTokens = counted ?? estimatePromptTokens(promptChars);
  const promptTokensSource = counted === undefined ? 'estimated' as const : 'counted' as const;
  const base = {
    ...recordFields(record), approach: deps.approach, promptTokens, promptTokensSource,
  };
  const unsuccessful = (error: string, extra: Partial<QuestionResult> = {}): QuestionResult => ({
    ...base, success: false, predicted: null, correct: false, rootTokens: 0, subTokens: 0, costUsd: 0,
    latencyMs: 0, iterations: 0, error, finishedAt: new Date(now()).toISOString(), ...extra,
  });
  const window = deps.plan.contextTokens;
  if (!fitsWindow(promptTokens, LONGBENCH_MAX_OUTPUT_TOKENS, window)) {
    return unsuccessful(`ContextWindowExceededError: the prompt is ${promptTokens.toLocaleString('en-US')} tokens (${promptTokensSource}) + ${LONGBENCH_MAX_OUTPUT_TOKENS} for the reply, over the ${window.toLocaleString('en-US')}-token window`);
  }
  const started = now();
  let response: ModelResponse;
  try {
    response = await converseWithRetry(deps, request);
  } catch (err) {
    const { name, message } = describeError(err);
    const kind = classifyFailure(name, causeNameOf(err));
    if (kind === 'retry-later') throw new QuestionDeferredError(`${record._id}: ${name}: ${message}`, { cause: err });
    if (kind === 'abort') throw new EvalAbortedError(`${name}: ${message}`, { cause: err });
    return unsuccessful(errorText(name, message), { latencyMs: now() - started, iterations: 1 });
  }
  const latencyMs = now() - started;
  const text = response.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('\n').trim();
  const predicted = extractAnswer(text);
  const usage = response.usage;
  return {
    ...base, success: true, predicted, correct: predicted === record.answer,
    rootTokens: usage.inputTokens + usage.outputTokens + (usage.cacheReadTokens ?? 0) + (usage.cacheWriteTokens ?? 0),
    subTokens: 0,
    costUsd: Number(directCallCost(deps.modelId, usage, deps.approach === 'long-context', deps.prices).toFixed(6)),
    latencyMs, iterations: 1, error: null, answerPreview: text.slice(0, ANSWER_PREVIEW_CHARS),
    finishedAt: new Date(now()).toISOString(),
  };
}
