/** Test doubles for the Pyodide sandbox tests: an in-memory document store and a fake sub model. */
import { ModelThrottledError } from '../../lambdas/core/errors';
import type { DocumentStore, LanguageModel, ModelRequest, ModelResponse } from '../../lambdas/core/ports';
import type { DocumentRef } from '../../lambdas/core/types';

/** Documents held in memory: a string is returned as is, a function is called (it may throw). */
export function memoryStore(docs: Record<string, string | (() => string)>): DocumentStore {
  return {
    async resolve(uri: string): Promise<DocumentRef[]> {
      return [{ name: uri, uri, chars: 0 }];
    },
    async readText(uri: string): Promise<string> {
      const d = docs[uri];
      if (d === undefined) throw new Error(`no such document ${uri}`);
      return typeof d === 'function' ? d() : d;
    },
    async putArtifact(key: string): Promise<string> {
      return `mem://${key}`;
    },
  };
}

/** A document reference for `memoryStore`. */
export const ref = (name: string, uri = `mem://${name}`): DocumentRef => ({ name, uri, chars: 0 });

/**
 * Fake sub model. Prompt conventions: `fail...` throws `ModelThrottledError`; `slow:<ms>...` waits that
 * long; anything else waits `latencyMs`. Replies `echo:<prompt>`; usage is derived from the text
 * lengths. Tracks calls in flight.
 */
export class FakeSubModel implements LanguageModel {
  readonly description = 'fake-sub';
  inFlight = 0;
  maxInFlight = 0;
  calls: ModelRequest[] = [];

  constructor(private readonly latencyMs = 20) {}

  /** Forget counters between tests. */
  reset(): void {
    this.maxInFlight = 0;
    this.calls = [];
  }

  async converse(request: ModelRequest): Promise<ModelResponse> {
    this.calls.push(request);
    const first = request.messages[0]?.content[0];
    const prompt = first?.type === 'text' ? first.text : '';
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const slow = /^slow:(\d+)/.exec(prompt);
      await new Promise((r) => setTimeout(r, slow ? Number(slow[1]) : this.latencyMs));
      if (prompt.startsWith('fail')) throw new ModelThrottledError(`throttled on ${prompt}`);
      const text = `echo:${prompt}`;
      return {
        content: [{ type: 'text', text }],
        stopReason: 'end_turn',
        usage: { inputTokens: prompt.length, outputTokens: text.length },
        modelId: request.modelId,
        latencyMs: this.latencyMs,
      };
    } finally {
      this.inFlight--;
    }
  }
}
