/**
 * Host-side accounting of one cell's sub-calls. Every `llm_query` / `llm_query_batched` prompt that
 * reaches the bridge is checked against the cell's `SubCallBudget` at call time, made with an
 * `AbortSignal`, and recorded here (full prompt and reply, tokens, cost, batch position). The
 * `CellResult.sub` the session returns is built from this ledger only: whatever the Python side
 * reports about sub-calls is ignored, so model code cannot undercount or forge usage.
 */
import { describeError } from '../../core/errors';
import { costOf, priceFor, type PriceTable } from '../../core/pricing';
import type { LanguageModel, SubCallBudget, SubCallProgress } from '../../core/ports';
import type { SubCallRecord, SubCallStats, TokenUsage } from '../../core/types';
import type { Limiter, SubCallResult } from './sub-calls';

/** Estimated USD of one call, or undefined when the model has no price. */
export type SubCallPricer = (modelId: string, usage: TokenUsage) => number | undefined;

/** Characters of prompt/reply kept in a record's previews. */
export const PREVIEW_CHARS = 200;

/** What a cell's ledger needs. */
export interface LedgerOptions {
  model: LanguageModel;
  limiter: Limiter;
  /** The session's default sub model. */
  defaultModelId: string;
  /** Models allowed when the cell has no budget (the session's `allowedModels`; default: the sub model). */
  sessionModels?: string[];
  budget?: SubCallBudget;
  /** Output-token limit of each call (absent: the model's default); a reply cut there comes back `truncated`. */
  maxOutputTokens?: number;
  price: SubCallPricer;
  onSubCalls?: (progress: SubCallProgress) => void;
  /** Told each sub-call's record as it ends (core records them durably while the cell runs). */
  onSubCallDone?: (record: SubCallRecord) => void;
}

/** The sub-call part of a cell result, plus the cap that refused a call, if any. */
export interface LedgerTotals {
  sub: SubCallStats;
  capReached?: string;
  costUsd: number;
}

interface InFlight {
  model: string;
  prompt: string;
  batch?: SubCallRecord['batch'];
  t0: number;
}

/**
 * A pricer over a price table, looking each model up once (the table's longest-key match sorts its
 * keys, which is measurable at thousands of calls a cell).
 */
export function tablePricer(table?: PriceTable): SubCallPricer {
  const found = new Map<string, boolean>();
  return (model, usage) => {
    let priced = found.get(model);
    if (priced === undefined) found.set(model, (priced = priceFor(model, table) !== undefined));
    return priced ? costOf(model, usage, table) : undefined;
  };
}

const preview = (s: string) => s.slice(0, PREVIEW_CHARS);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One cell's sub-call ledger. Create it when the cell starts; call `finish()` when it ends. */
export class CellLedger {
  /** Created with the cell's first sub-call: most cells make none, and an AbortController costs more than the cell's bookkeeping. */
  private controller: AbortController | undefined;
  private aborted = false;
  private readonly records: SubCallRecord[] = [];
  private readonly inFlight = new Set<InFlight>();
  private readonly allowed: string[];
  private started = 0;
  private done = 0;
  private errors = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private costUsd = 0;
  private batches = 0;
  private cap: string | undefined;
  private closed = false;

  private readonly price: SubCallPricer;

  constructor(private readonly options: LedgerOptions) {
    const budget = options.budget;
    this.allowed = budget?.allowedModels.length ? budget.allowedModels
      : options.sessionModels?.length ? options.sessionModels : [options.defaultModelId];
    // The run's own price table travels with the budget; otherwise the sandbox's pricer.
    const table = budget?.prices;
    this.price = table ? tablePricer(table) : options.price;
  }

  /** Aborts every sub-call of this cell still waiting or in flight (interrupt, session closed). */
  abort(reason = 'the cell was interrupted'): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort(new Error(reason));
  }

  /** Answer one bridge request: one result per prompt, in order (never throws). */
  async runBatch(requestedModel: string, prompts: readonly string[]): Promise<SubCallResult[]> {
    const model = requestedModel || this.allowed[0]!;
    if (!this.allowed.includes(model)) {
      const error = `model ${model} is not allowed in this run (allowed: ${this.allowed.join(', ')})`;
      return prompts.map(() => ({ text: '', error, input_tokens: 0, output_tokens: 0, ms: 0 }));
    }
    const limiter = this.options.limiter;
    // one prompt (every llm_query): no Promise.all, one promise hop fewer before the reply goes out
    if (prompts.length === 1) return limiter.run(() => this.callOne(model, prompts[0]!, undefined)).then((r) => [r]);
    const batchId = prompts.length > 1 ? ++this.batches : 0;
    return Promise.all(prompts.map((prompt, index) => {
      const batch = batchId ? { id: batchId, index, size: prompts.length } : undefined;
      return limiter.run(() => this.callOne(model, prompt, batch));
    }));
  }

  /** The cap a new call would pass, described, or undefined. Checked when the call would start. */
  private capFor(): string | undefined {
    const b = this.options.budget;
    if (!b) return undefined;
    if (b.calls !== undefined && this.started >= b.calls) return `sub-call cap reached (${plural(Math.max(0, b.calls), 'sub-call')} left for this run when the cell started)`;
    if (b.tokens !== undefined && this.inputTokens + this.outputTokens >= b.tokens) return `token cap reached (${plural(Math.max(0, b.tokens), 'token')} left for this run when the cell started)`;
    if (b.costUsd !== undefined && this.costUsd >= b.costUsd) return `cost cap reached ($${Math.max(0, b.costUsd).toFixed(4)} left for this run when the cell started)`;
    return undefined;
  }

  private async callOne(model: string, prompt: string, batch: SubCallRecord['batch']): Promise<SubCallResult> {
    if (this.aborted || this.closed) {
      return { text: '', error: 'AbortError: the cell ended before this sub-call started', input_tokens: 0, output_tokens: 0, ms: 0 };
    }
    const cap = this.capFor();
    if (cap) {
      this.cap ??= cap;
      return { text: '', error: `${cap}; this sub-call was not made. Finish with what you have (FINAL).`, input_tokens: 0, output_tokens: 0, ms: 0 };
    }
    const entry: InFlight = { model, prompt, batch, t0: Date.now() };
    this.started++;
    this.inFlight.add(entry);
    this.progress();
    let result: SubCallResult;
    let record: SubCallRecord;
    try {
      const res = await this.options.model.converse(
        {
          role: 'sub', modelId: model, messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }],
          ...(this.options.maxOutputTokens !== undefined ? { maxOutputTokens: this.options.maxOutputTokens } : {}),
        },
        { signal: (this.controller ??= new AbortController()).signal },
      );
      const text = res.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      const ms = Date.now() - entry.t0;
      result = { text, error: null, input_tokens: res.usage.inputTokens, output_tokens: res.usage.outputTokens, ms };
      record = this.recordOf(entry, text, res.usage, ms);
      // The prelude appends "[... reply cut off ...]" for the code; the record keeps the flag.
      if (res.stopReason === 'max_tokens') result.truncated = record.truncated = true;
      if (!this.closed) this.addUsage(model, res.usage);
    } catch (err) {
      const { name, message } = describeError(err);
      const ms = Date.now() - entry.t0;
      result = { text: '', error: `${name}: ${message}`, input_tokens: 0, output_tokens: 0, ms };
      record = { ...this.recordOf(entry, '', { inputTokens: 0, outputTokens: 0 }, ms), error: result.error! };
    }
    if (this.closed) return result; // finish() already recorded it as unfinished
    this.inFlight.delete(entry);
    this.done++;
    if (result.error) this.errors++;
    this.records.push(record);
    this.ended(record);
    this.progress();
    return result;
  }

  private recordOf(entry: InFlight, response: string, usage: TokenUsage, ms: number): SubCallRecord {
    return {
      model: entry.model,
      promptChars: entry.prompt.length,
      responseChars: response.length,
      promptPreview: preview(entry.prompt),
      responsePreview: preview(response),
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      durationMs: ms,
      prompt: entry.prompt,
      response,
      ...(entry.batch ? { batch: entry.batch } : {}),
    };
  }

  private addUsage(model: string, usage: TokenUsage): void {
    this.inputTokens += Math.max(0, usage.inputTokens);
    this.outputTokens += Math.max(0, usage.outputTokens);
    const cost = this.price(model, usage);
    if (cost !== undefined && Number.isFinite(cost) && cost > 0) this.costUsd += cost;
  }

  private ended(record: SubCallRecord): void {
    try {
      this.options.onSubCallDone?.(record);
    } catch {
      // a listener never breaks the cell
    }
  }

  private progress(): void {
    try {
      this.options.onSubCalls?.({ inFlight: this.inFlight.size, done: this.done, errors: this.errors });
    } catch {
      // a progress listener never breaks the cell
    }
  }

  /**
   * Close the ledger when the cell ended: calls still in flight are aborted and recorded as
   * unfinished errors (they were made, so they count). Returns the totals of the cell.
   */
  finish(): LedgerTotals {
    if (!this.closed) {
      this.closed = true;
      const unfinished = [...this.inFlight];
      if (unfinished.length) this.abort('the cell ended');
      for (const entry of unfinished) {
        const error = 'AbortError: the cell ended before this sub-call finished';
        const record = { ...this.recordOf(entry, '', { inputTokens: 0, outputTokens: 0 }, Date.now() - entry.t0), error };
        this.records.push(record);
        this.ended(record);
        this.done++;
        this.errors++;
      }
      this.inFlight.clear();
      this.abort('the cell ended');
    }
    return {
      sub: { calls: this.started, errors: this.errors, inputTokens: this.inputTokens, outputTokens: this.outputTokens, records: this.records },
      ...(this.cap ? { capReached: this.cap } : {}),
      costUsd: this.costUsd,
    };
  }
}
