/**
 * Host side of `llm_query` / `llm_query_batched`: runs a batch of sub-LLM prompts against the session's
 * `LanguageModel` with bounded concurrency and returns one result per prompt, in order, in the shape
 * the prelude's `_rlm_backend` contract expects.
 */
import { describeError } from '../../core/errors';
import type { LanguageModel } from '../../core/ports';

/** One prompt's outcome (snake_case: it goes to Python as JSON). */
export interface SubCallResult {
  text: string;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
  ms: number;
}

/**
 * A counting semaphore. One per session, shared by all its batches, so a batch abandoned by an
 * interrupt (its calls still finishing) and the next batch together never exceed the limit.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  /** @param limit calls allowed at once (a positive integer). */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  }

  /**
   * Run `fn` when a slot is free. A finishing call hands its slot straight to the first waiter, so a
   * caller arriving before that waiter resumes cannot take the slot too.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Run one prompt as a sub call; never throws (a failure becomes `error`). */
async function runOne(model: LanguageModel, modelId: string, prompt: string): Promise<SubCallResult> {
  const t0 = Date.now();
  try {
    const res = await model.converse({
      role: 'sub',
      modelId,
      messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
    });
    const text = res.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    return {
      text,
      error: null,
      input_tokens: res.usage.inputTokens,
      output_tokens: res.usage.outputTokens,
      ms: Date.now() - t0,
    };
  } catch (err) {
    const { name, message } = describeError(err);
    return { text: '', error: `${name}: ${message}`, input_tokens: 0, output_tokens: 0, ms: Date.now() - t0 };
  }
}

/** Run a batch with `limiter`'s concurrency; results keep the order of `prompts`. */
export function runSubBatch(
  model: LanguageModel,
  modelId: string,
  prompts: readonly string[],
  limiter: Limiter,
): Promise<SubCallResult[]> {
  return Promise.all(prompts.map((p) => limiter.run(() => runOne(model, modelId, p))));
}

/** Parse the worker's `{prompts, model}` payload; malformed input becomes per-call errors upstream. */
export function parseSubRequest(payload: string): { prompts: string[]; model: string } {
  const raw = JSON.parse(payload) as { prompts?: unknown; model?: unknown };
  const prompts = Array.isArray(raw.prompts) ? raw.prompts.map((p) => String(p)) : [];
  return { prompts, model: typeof raw.model === 'string' ? raw.model : String(raw.model ?? '') };
}
