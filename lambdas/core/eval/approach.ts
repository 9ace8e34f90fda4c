/**
 * The three approaches of the published comparison, their context windows, the 1M-token option, the
 * fit check and the cost of a direct (Base / Long Context) call.
 */
import { costOf, type PriceTable, DEFAULT_PRICES } from '../pricing';
import type { TokenUsage } from '../types';

/** `--approach` choices. */
export type EvalApproach = 'base' | 'long-context' | 'rlm';
/** The approaches, as shown in help and errors. */
export const EVAL_APPROACHES: readonly EvalApproach[] = ['base', 'long-context', 'rlm'];
/** Names used in the printed table. */
export const APPROACH_LABELS: Record<EvalApproach, string> = { base: 'Base', 'long-context': 'Long Context', rlm: 'RLM' };

/** Base: the standard 200K-token window. */
export const BASE_CONTEXT_TOKENS = 200_000;
/** Long Context: the 1M-token window. */
export const LONG_CONTEXT_TOKENS = 1_000_000;
/** The Bedrock beta flag that opens the 1M-token window of Claude Sonnet 4 / 4.5. */
export const CONTEXT_1M_BETA = 'context-1m-2025-08-07';

/**
 * Whether a Bedrock model ID (base ID, inference profile such as `us.`/`global.`, or ARN) is a Claude
 * Sonnet 4 or 4.5, the models that take `anthropic_beta: ["context-1m-2025-08-07"]`.
 */
export function supportsContext1M(modelId: string): boolean {
  return /(^|[.:/])anthropic\.claude-sonnet-4(-5)?-\d{8}/.test(modelId.toLowerCase());
}

/** The window and provider options a direct approach uses with a model. */
export interface DirectCallPlan {
  contextTokens: number;
  providerOptions?: Record<string, unknown>;
}

/**
 * Plan a direct call: Base is 200K tokens with no options; Long Context is 1M tokens, and on Bedrock it
 * sends the 1M beta, which only Claude Sonnet 4/4.5 accept (otherwise `undefined`: the caller refuses).
 * Models that are not Bedrock (OpenAI-compatible servers, scripts) get no option: their own window applies
 * and their own context error decides.
 */
export function planDirectCall(approach: 'base' | 'long-context', modelId: string, bedrock: boolean): DirectCallPlan | undefined {
  if (approach === 'base') return { contextTokens: BASE_CONTEXT_TOKENS };
  if (!bedrock) return { contextTokens: LONG_CONTEXT_TOKENS };
  if (!supportsContext1M(modelId)) return undefined;
  return { contextTokens: LONG_CONTEXT_TOKENS, providerOptions: { anthropic_beta: [CONTEXT_1M_BETA] } };
}

/** Characters per token assumed when no tokenizer is available. */
export const ESTIMATE_CHARS_PER_TOKEN = 4;

/**
 * Token estimate when the provider cannot count: `ceil(chars / 4)`. English prose is close to 4
 * characters per token on Claude-class tokenizers; code, numbers and CJK text give more tokens, so this
 * rarely over-counts: a prompt it puts over the window is over the window, and prompts it lets through
 * near the limit are decided by the provider's own context error.
 */
export function estimatePromptTokens(chars: number): number {
  return Math.ceil(chars / ESTIMATE_CHARS_PER_TOKEN);
}

/** Whether a prompt of `promptTokens` plus the reply budget fits `contextTokens`. */
export function fitsWindow(promptTokens: number, maxOutputTokens: number, contextTokens: number): boolean {
  return promptTokens + maxOutputTokens <= contextTokens;
}

/** Long-context premium of Claude Sonnet 4/4.5 for prompts over 200K tokens (list prices at the time of writing). */
export const LONG_CONTEXT_PREMIUM = { thresholdTokens: 200_000, inputFactor: 2, outputFactor: 1.5 } as const;

/**
 * Cost of one direct call. With the 1M window, a prompt over 200K input tokens is billed at the
 * long-context rate (input x2, output x1.5 for Claude Sonnet 4/4.5).
 */
export function directCallCost(modelId: string, usage: TokenUsage, longContext: boolean, prices: PriceTable = DEFAULT_PRICES): number {
  const input = usage.inputTokens + (usage.cacheReadTokens ?? 0) + (usage.cacheWriteTokens ?? 0);
  if (!longContext || input <= LONG_CONTEXT_PREMIUM.thresholdTokens || !supportsContext1M(modelId)) {
    return costOf(modelId, usage, prices);
  }
  const inputCost = costOf(modelId, { ...usage, outputTokens: 0 }, prices);
  const outputCost = costOf(modelId, { inputTokens: 0, outputTokens: usage.outputTokens }, prices);
  return inputCost * LONG_CONTEXT_PREMIUM.inputFactor + outputCost * LONG_CONTEXT_PREMIUM.outputFactor;
}
