/**
 * Scripted / replay `LanguageModel`: answers from a JSON script instead of a real model, so runs are
 * deterministic offline (demo, tests, benchmarks, replays of recorded runs). Format: docs/scripted-models.md.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ModelInvocationError, ScriptExhaustedError } from '../../core/errors';
import type { ChatMessage, ContentBlock, LanguageModel, ModelCallOptions, ModelRequest, ModelResponse } from '../../core/ports';
import { EXECUTE_PYTHON_TOOL_NAME } from '../../core/reply-parser';
import { issueLines } from '../../core/schema-issues';
import { scriptSchema } from '../../core/script-schema';
import { abortableSleep, throwIfAborted } from './call-signal';

/** One scripted root turn: optional prose and/or code (each code string becomes one `execute_python` call). */
export interface ScriptRootTurn {
  text?: string;
  code?: string | string[];
  /** Simulated latency of this turn in milliseconds (overrides the script's `latencyMs`). */
  latencyMs?: number;
}

/** A sub-call rule: the first rule whose regex matches the prompt answers (`$1..$9`, `$&` expand). */
export interface ScriptSubRule {
  match: string;
  flags?: string;
  reply: string;
  latencyMs?: number;
}

/** Sub-call replies: `exact` prompt first, then `rules` in order, then `default`. */
export interface ScriptSub {
  exact?: Record<string, string>;
  rules?: ScriptSubRule[];
  default?: string;
}

/** A whole script file. */
export interface Script {
  /** Free-form note about what the script is for (ignored). */
  description?: string;
  root?: ScriptRootTurn[];
  sub?: ScriptSub;
  /** Default simulated latency of every reply, in milliseconds. */
  latencyMs?: number;
}

/** The model ID scripted replies report (priced at 0 by the default price table). */
export const SCRIPTED_MODEL_ID = 'scripted';

/**
 * Validate a parsed script strictly (its zod schema, `core/script-schema.ts`). Throws `ScriptExhaustedError` naming
 * the source and each JSON path that is wrong, e.g. `root[2].code must be a string or array of strings`. Unknown
 * keys are refused, with the likely one.
 */
export function validateScript(value: unknown, source = 'script'): Script {
  const parsed = scriptSchema.safeParse(value);
  if (parsed.success) return value as Script;
  const lines = issueLines(parsed.error, { what: '(top level)', schema: scriptSchema });
  throw new ScriptExhaustedError(`invalid scripted model file ${source}: ${lines.join('; ')}`);
}

/** Read and validate a script file. Throws `ConfigError` when unreadable, `ScriptExhaustedError` when malformed. */
export function loadScript(path: string): Script {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read scripted model file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ScriptExhaustedError(`invalid scripted model file ${path}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return validateScript(parsed, path);
}

/** Text of the prompt of a sub-call: the text blocks of the last user message, joined by newlines. */
export function subPrompt(messages: ChatMessage[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  return (last?.content ?? []).filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('\n');
}

/** Number of assistant messages so far: the index of the root turn being asked for. */
export function rootTurnIndex(messages: ChatMessage[]): number {
  return messages.filter((m) => m.role === 'assistant').length;
}

/** Expand `$1..$9`, `$&` (whole match) and `$$` (a literal `$`) in a rule reply. */
export function expandReply(reply: string, match: RegExpExecArray): string {
  return reply.replace(/\$([$&1-9])/g, (_, g: string) => (g === '$' ? '$' : g === '&' ? match[0] : match[Number(g)] ?? ''));
}

/** Deterministic token estimate: ceil(chars / 4), at least 1. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

function requestChars(request: ModelRequest): number {
  let n = request.system?.length ?? 0;
  for (const m of request.messages) {
    for (const b of m.content) n += b.type === 'text' ? b.text.length : b.type === 'tool_result' ? b.text.length : JSON.stringify(b.input).length;
  }
  return n;
}


/** Options of {@link ScriptedModel}. */
export interface ScriptedModelOptions {
  /** Where the script came from (file path), used in descriptions and error messages. */
  source?: string;
}

/**
 * A model that replies from a {@link Script}. Stateless: root turn `k` is chosen by the number of
 * assistant messages in the request, so it works across Lambda invocations and replays deterministically.
 */
export class ScriptedModel implements LanguageModel {
  readonly description: string;
  private readonly script: Script;
  private readonly source: string;
  private readonly rules: Array<{ re: RegExp; rule: ScriptSubRule }>;

  /** @param script a script (validated again here); @param options `source` for messages. */
  constructor(script: Script, options: ScriptedModelOptions = {}) {
    this.source = options.source ?? 'inline script';
    this.script = validateScript(script, this.source);
    this.description = `scripted:${this.source}`;
    this.rules = (this.script.sub?.rules ?? []).map((rule) => ({ re: new RegExp(rule.match, rule.flags), rule }));
  }

  /** Reply to a root or sub request from the script; `options.signal` aborts the scripted latency. */
  async converse(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    const started = Date.now();
    const what = `scripted ${request.role} call`;
    throwIfAborted(options.signal, what);
    const { content, latencyMs } = request.role === 'sub' ? this.subReply(request) : this.rootReply(request);
    if (latencyMs > 0) await abortableSleep(latencyMs, options.signal, what);
    const outChars = content.reduce((n, b) => n + (b.type === 'text' ? b.text.length : String(b.type === 'tool_use' ? b.input.code : '').length), 0);
    return {
      content,
      stopReason: content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
      usage: { inputTokens: estimateTokens(requestChars(request)), outputTokens: estimateTokens(outChars) },
      modelId: SCRIPTED_MODEL_ID,
      latencyMs: Date.now() - started,
    };
  }

  private rootReply(request: ModelRequest): { content: ContentBlock[]; latencyMs: number } {
    const k = rootTurnIndex(request.messages);
    const turns = this.script.root ?? [];
    const turn = turns[k];
    if (!turn) {
      throw new ScriptExhaustedError(
        `scripted model ${this.source} has no root turn ${k + 1} (root[${k}]): the script has ${turns.length} root turn(s)`,
      );
    }
    const latencyMs = turn.latencyMs ?? this.script.latencyMs ?? 0;
    const codes = turn.code === undefined ? [] : Array.isArray(turn.code) ? turn.code : [turn.code];
    const tools = request.tools ?? [];
    if (tools.length === 0) {
      const text = turn.text ?? codes.map((c) => '```python\n' + c + '\n```').join('\n\n');
      return { content: [{ type: 'text', text }], latencyMs };
    }
    const toolName = tools.some((t) => t.name === EXECUTE_PYTHON_TOOL_NAME) ? EXECUTE_PYTHON_TOOL_NAME : tools[0].name;
    const content: ContentBlock[] = [];
    if (turn.text !== undefined) content.push({ type: 'text', text: turn.text });
    codes.forEach((code, i) => content.push({ type: 'tool_use', id: `scripted-${k}-${i}`, name: toolName, input: { code } }));
    return { content, latencyMs };
  }

  private subReply(request: ModelRequest): { content: ContentBlock[]; latencyMs: number } {
    const prompt = subPrompt(request.messages);
    const sub = this.script.sub ?? {};
    const base = this.script.latencyMs ?? 0;
    const text = (t: string, latencyMs: number) => ({ content: [{ type: 'text', text: t } as ContentBlock], latencyMs });
    if (sub.exact && Object.prototype.hasOwnProperty.call(sub.exact, prompt)) return text(sub.exact[prompt], base);
    for (const { re, rule } of this.rules) {
      const m = re.exec(prompt);
      if (m) return text(expandReply(rule.reply, m), rule.latencyMs ?? base);
    }
    if (sub.default !== undefined) return text(sub.default, base);
    throw new ModelInvocationError(
      `scripted model ${this.source} has no sub reply for prompt ${JSON.stringify(prompt.slice(0, 200))} (no exact match, no rule matched, no default)`,
    );
  }
}
