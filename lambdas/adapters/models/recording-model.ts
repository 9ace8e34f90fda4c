/**
 * A `LanguageModel` decorator that records the replies of a live run in the scripted format, so the run
 * can be replayed offline with `--llm scripted:FILE` (see docs/scripted-models.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LanguageModel, ModelCallOptions, ModelRequest, ModelResponse } from '../../core/ports';
import { rootTurnIndex, subPrompt, type Script, type ScriptRootTurn } from './scripted-model';

/** Text of a root turn that was never seen by the recorder (a gap, e.g. a resumed run). */
export const UNRECORDED_TURN_TEXT = '(turn not recorded)';

/**
 * Records root replies by turn (the number of assistant messages in the request, exactly how
 * `ScriptedModel` picks turns) and sub replies by exact prompt. Calls pass through unchanged; failed
 * calls record nothing. A repeated root turn (a retried Lambda) overwrites the earlier reply; a repeated
 * sub prompt keeps its first reply.
 */
export class RecordingModel implements LanguageModel {
  readonly description: string;
  private readonly root: ScriptRootTurn[] = [];
  private readonly exact = new Map<string, string>();

  /** @param inner the model whose replies are recorded. */
  constructor(private readonly inner: LanguageModel) {
    this.description = inner.description;
  }

  /** Forward the call (and its options) and record the reply. */
  async converse(request: ModelRequest, options?: ModelCallOptions): Promise<ModelResponse> {
    const response = await this.inner.converse(request, options);
    const text = response.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('\n');
    if (request.role === 'sub') {
      const prompt = subPrompt(request.messages);
      if (!this.exact.has(prompt)) this.exact.set(prompt, text);
      return response;
    }
    const codes: string[] = [];
    for (const b of response.content) {
      if (b.type !== 'tool_use') continue;
      codes.push(typeof b.input.code === 'string' ? b.input.code : JSON.stringify(b.input));
    }
    const turn: ScriptRootTurn = {};
    // Fenced code from models without tool use stays in the text, so the replay reproduces it.
    if (text !== '' || codes.length === 0) turn.text = text;
    if (codes.length === 1) turn.code = codes[0];
    else if (codes.length > 1) turn.code = codes;
    this.root[rootTurnIndex(request.messages)] = turn;
    return response;
  }

  /** Number of root turns recorded so far (including gaps before the last one). */
  get rootTurns(): number {
    return this.root.length;
  }

  /** A scripted-format object that replays the recorded run. */
  toScript(): Script {
    const root = Array.from({ length: this.root.length }, (_, i) => this.root[i] ?? { text: UNRECORDED_TURN_TEXT });
    return {
      description: `recorded from ${this.inner.description}`,
      root: root.map((t) => ({ ...t })),
      sub: { exact: Object.fromEntries(this.exact) },
    };
  }

  /** Write {@link toScript} to `path` as pretty JSON (parent folders created). */
  save(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(this.toScript(), null, 2) + '\n', 'utf8');
  }
}
