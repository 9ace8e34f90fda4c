/**
 * Host side of `llm_query` / `llm_query_batched`: the shapes of the bridge (one result per prompt, in
 * the form the prelude's `_rlm_backend` contract expects) and the session-wide concurrency limiter.
 * The calls themselves are made and accounted by `sub-call-ledger.ts`.
 */
import { describeError } from '../../core/errors';

/** One prompt's outcome (snake_case: it goes to Python as JSON). */
export interface SubCallResult {
  text: string;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
  ms: number;
  /** The reply was cut at the output-token limit (the prelude tells the code so). */
  truncated?: boolean;
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

/**
 * Parse the worker's request: JSON `{prompts, model}`, or one prompt as `<model length>:<model><prompt>`
 * (what `llm_query` sends: no JSON on either side). Malformed input throws; it becomes per-call errors upstream.
 */
export function parseSubRequest(payload: string): { prompts: string[]; model: string } {
  if (payload.charCodeAt(0) !== 123 /* { */) {
    const colon = payload.indexOf(':');
    const digits = colon > 0 && colon <= 9 ? payload.slice(0, colon) : '';
    const len = /^[0-9]+$/.test(digits) ? Number(digits) : -1;
    if (len < 0 || colon + 1 + len > payload.length) throw new SyntaxError('malformed sub-call request');
    return { prompts: [payload.slice(colon + 1 + len)], model: payload.slice(colon + 1, colon + 1 + len) };
  }
  const raw = JSON.parse(payload) as { prompts?: unknown; model?: unknown };
  const prompts = Array.isArray(raw.prompts) ? raw.prompts.map((p) => String(p)) : [];
  return { prompts, model: typeof raw.model === 'string' ? raw.model : String(raw.model ?? '') };
}

/** What answers a cell's sub-calls (the cell's `CellLedger`). */
export interface SubCallRunner {
  runBatch(model: string, prompts: readonly string[]): Promise<SubCallResult[]>;
}

/**
 * The results for one bridge request of the worker: one per prompt, in order. Never throws: a malformed
 * request, no cell running (`ledger` undefined) or a failing ledger become per-prompt errors.
 */
export async function answerSubRequest(ledger: SubCallRunner | undefined, payload: string): Promise<SubCallResult[]> {
  let prompts: string[] = [];
  const failed = (error: string) => prompts.map(() => ({ text: '', error, input_tokens: 0, output_tokens: 0, ms: 0 }));
  try {
    const req = parseSubRequest(String(payload));
    prompts = req.prompts;
    return ledger ? await ledger.runBatch(req.model, prompts) : failed('SandboxError: no cell is running');
  } catch (err) {
    return failed(`SandboxError: ${describeError(err).message}`);
  }
}
