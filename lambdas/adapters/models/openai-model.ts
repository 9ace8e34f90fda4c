/**
 * `LanguageModel` for any OpenAI-compatible chat-completions server (OpenAI, vLLM, Ollama, llama.cpp,
 * LM Studio, LiteLLM...). No SDK: its own HTTP/1.1 client on kept-alive `net`/`tls` sockets (http-post.ts), or an
 * injected `fetch`; stateless per request.
 */
import {
  ContextWindowExceededError,
  ModelInvocationError,
  ModelThrottledError,
  ModelUnavailableError,
} from '../../core/errors';
import type { ContentBlock, LanguageModel, ModelCallOptions, ModelRequest, ModelResponse, ModelStopReason } from '../../core/ports';
import { EXECUTE_PYTHON_TOOL_NAME } from '../../core/reply-parser';
import { abortError, callSignal, throwIfAborted } from './call-signal';
import { postJson, type HttpReply } from './http-post';

/** Options of {@link OpenAICompatibleModel}. */
export interface OpenAICompatibleModelOptions {
  /** Base URL including the API prefix, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Model name on the server; see {@link resolveOpenAIModel} for how it combines with `request.modelId`. */
  model?: string;
  /** Send through this `fetch` (tests, proxies) instead of the built-in HTTP/1.1 client (http-post.ts). */
  fetchImpl?: typeof fetch;
  /** Abort a request after this many milliseconds (default {@link DEFAULT_MODEL_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/**
 * Per-call timeout of the model adapters (ms). A hung server fails one attempt after this long; the
 * state machine (root) or `RetryingModel` (sub) retries it. docs/cli.md adds up the worst case.
 */
export const DEFAULT_MODEL_TIMEOUT_MS = 120_000;

/** True for IDs that only Bedrock understands (`anthropic.claude-…`, `us.amazon.nova-…`, ARNs). */
export function looksLikeBedrockModelId(id: string): boolean {
  return /^arn:aws[\w-]*:bedrock:/.test(id) ||
    /^((us|eu|apac|jp|au|ca|us-gov|global)\.)?(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer|twelvelabs)\.[\w.:-]+-v?\d+(:\d+)?$/.test(id);
}

/**
 * Which model name to send. Rule: `request.modelId` wins (so `llm_query(..., model="gpt-4o-mini")`
 * reaches the server), except when it looks like a Bedrock ID (the run defaults are Bedrock IDs) and a
 * model was configured — then the configured model is used. Without a configured model the request's
 * ID is sent as is.
 */
export function resolveOpenAIModel(requested: string, configured: string | undefined): string {
  if (configured && (requested === '' || looksLikeBedrockModelId(requested))) return configured;
  return requested || configured || '';
}

/** An OpenAI chat message as sent. */
type OpenAIMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: OpenAIToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Build the `/chat/completions` request body for a request. */
export function toOpenAIBody(request: ModelRequest, model: string): Record<string, unknown> {
  const messages: OpenAIMessage[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  for (const m of request.messages) {
    const text = m.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('\n');
    if (m.role === 'assistant') {
      const calls: OpenAIToolCall[] = [];
      for (const b of m.content) {
        if (b.type === 'tool_use') {
          calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } });
        }
      }
      messages.push({ role: 'assistant', content: text === '' ? null : text, ...(calls.length ? { tool_calls: calls } : {}) });
      continue;
    }
    // Tool results must directly follow the assistant message that called them; other user text after.
    for (const b of m.content) {
      if (b.type === 'tool_result') {
        messages.push({ role: 'tool', tool_call_id: b.toolUseId, content: b.isError ? `[error]\n${b.text}` : b.text });
      }
    }
    if (text !== '' || !m.content.some((b) => b.type === 'tool_result')) messages.push({ role: 'user', content: text });
  }
  const body: Record<string, unknown> = { model, messages };
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.inputSchema },
    }));
  }
  if (request.maxOutputTokens !== undefined) body.max_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  return body;
}

const FINISH: Record<string, ModelStopReason> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
};

/** Parse a chat-completions response body. */
export function fromOpenAIBody(body: unknown, modelId: string, latencyMs: number): ModelResponse {
  const b = body as {
    choices?: Array<{ message?: { content?: unknown; tool_calls?: unknown[] }; finish_reason?: string | null }>;
    usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } };
    error?: unknown;
  };
  const choice = b?.choices?.[0];
  if (!choice || !choice.message) {
    throw new ModelInvocationError(`OpenAI-compatible server returned no choices for model ${modelId}: ${errorText(b?.error ?? body)}`);
  }
  const content: ContentBlock[] = [];
  const raw = choice.message.content;
  const text = typeof raw === 'string' ? raw
    : Array.isArray(raw) ? raw.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('') : '';
  if (text !== '') content.push({ type: 'text', text });
  let toolUses = 0;
  for (const [i, call] of toolCallsOf(choice.message.tool_calls, modelId).entries()) {
    const { id, name, args } = call;
    let input: unknown = args;
    if (typeof args === 'string') {
      try { input = JSON.parse(args); } catch { input = undefined; }
    }
    if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
      content.push({ type: 'tool_use', id: id || `call-${i}`, name, input: input as Record<string, unknown> });
      toolUses++;
    } else if (name === EXECUTE_PYTHON_TOOL_NAME && typeof args === 'string') {
      // Invalid JSON (or a bare JSON string) for the code tool: the raw text is the code.
      content.push({ type: 'tool_use', id: id || `call-${i}`, name, input: { code: typeof input === 'string' ? input : args } });
      toolUses++;
    } else {
      throw new ModelInvocationError(`OpenAI-compatible server returned tool call ${i} (${name}) for model ${modelId} with arguments that are not a JSON object: ${String(typeof args === 'string' ? args : JSON.stringify(args)).slice(0, 200)}`);
    }
  }
  const cached = b.usage?.prompt_tokens_details?.cached_tokens ?? 0;
  let stopReason = FINISH[choice.finish_reason ?? ''] ?? 'other';
  if (toolUses > 0 && stopReason === 'end_turn') stopReason = 'tool_use'; // servers that say "stop" after tool calls
  return {
    content,
    stopReason,
    usage: {
      // prompt_tokens includes cached tokens; report them apart as Bedrock does.
      inputTokens: Math.max(0, (b.usage?.prompt_tokens ?? 0) - cached),
      outputTokens: b.usage?.completion_tokens ?? 0,
      ...(cached > 0 ? { cacheReadTokens: cached } : {}),
    },
    modelId,
    latencyMs,
  };
}

/** One tool call as sent by the server, checked for shape. */
interface ParsedToolCall { id: string; name: string; args: unknown }

/**
 * Check the shape of `message.tool_calls`: an array of `{id?, function: {name: string, arguments}}`
 * with `arguments` a string or an object. Anything else is a `ModelInvocationError` naming what is wrong.
 */
function toolCallsOf(raw: unknown, modelId: string): ParsedToolCall[] {
  if (raw === undefined || raw === null) return [];
  const bad = (what: string) => new ModelInvocationError(`OpenAI-compatible server returned malformed tool_calls for model ${modelId}: ${what}`);
  if (!Array.isArray(raw)) throw bad(`expected an array, got ${typeof raw} ${JSON.stringify(raw).slice(0, 100)}`);
  return raw.map((c: unknown, i) => {
    const call = c as { id?: unknown; function?: { name?: unknown; arguments?: unknown } } | null;
    if (call === null || typeof call !== 'object' || call.function === null || typeof call.function !== 'object') {
      throw bad(`tool call ${i} has no "function" object`);
    }
    const name = call.function.name;
    if (typeof name !== 'string' || name === '') throw bad(`tool call ${i} has no function name`);
    const args = call.function.arguments ?? '{}';
    if (typeof args !== 'string' && (typeof args !== 'object' || Array.isArray(args))) {
      throw bad(`tool call ${i} (${name}) has arguments of type ${Array.isArray(args) ? 'array' : typeof args}`);
    }
    return { id: typeof call.id === 'string' ? call.id : '', name, args };
  });
}

function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  const o = e as { error?: unknown; message?: unknown } | undefined;
  if (o && typeof o.message === 'string') return o.message;
  if (o && o.error !== undefined) return errorText(o.error);
  return JSON.stringify(e) ?? String(e);
}

const CONTEXT_WORDING = /context_length_exceeded|exceed_context_size|maximum context length|context (length|size|window)|too many tokens|prompt is too long/i;

/** Map a non-2xx response to a named error. */
export function mapHttpError(status: number, bodyText: string, modelId: string, url: string): Error {
  let parsed: unknown = bodyText;
  try { parsed = JSON.parse(bodyText); } catch { /* plain text body */ }
  const serverMessage = errorText(parsed).slice(0, 2000);
  const code = (parsed as { error?: { code?: unknown } })?.error?.code;
  const msg = `OpenAI-compatible server ${url} returned HTTP ${status} for model ${modelId}: ${serverMessage}`;
  if (status === 429) return new ModelThrottledError(msg);
  if (status >= 500 || status === 408) return new ModelUnavailableError(msg);
  if ((status === 400 || status === 413) && (code === 'context_length_exceeded' || CONTEXT_WORDING.test(bodyText))) {
    return new ContextWindowExceededError(msg);
  }
  const hint = looksLikeBedrockModelId(modelId) ? ' (a Bedrock model ID was sent: set RLM_OPENAI_MODEL to a model this server serves)' : '';
  return new ModelInvocationError(msg + hint);
}

/** OpenAI-compatible chat-completions adapter with tool calling. */
export class OpenAICompatibleModel implements LanguageModel {
  readonly description: string;
  private readonly url: string;
  private parsedUrl?: URL;
  private readonly fetchImpl?: typeof fetch;
  private readonly timeoutMs: number;

  /** @param options server, key, model, optional fetch and timeout. */
  constructor(private readonly options: OpenAICompatibleModelOptions) {
    const base = options.baseUrl.replace(/\/+$/, '');
    this.url = `${base}/chat/completions`;
    this.description = `openai:${base}`;
    this.fetchImpl = options.fetchImpl;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  }

  /**
   * One chat-completions call. Throws throttled/unavailable/context/invocation errors by status;
   * `options.signal` aborts the request at once with an `AbortError` (not retried).
   */
  async converse(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    const model = resolveOpenAIModel(request.modelId, this.options.model);
    const what = `OpenAI-compatible call to ${this.url} for model ${model}`;
    throwIfAborted(options.signal, what);
    const call = callSignal(options.signal, this.timeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const started = Date.now();
    let res: HttpReply;
    try {
      res = await this.send(headers, JSON.stringify(toOpenAIBody(request, model)), call.signal);
    } catch (err) {
      if (call.callerAborted()) throw abortError(what, options.signal, err);
      const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } };
      const code = e.cause?.code ?? e.code;
      const why = call.timedOut() ? `timed out after ${this.timeoutMs} ms`
        : `failed: ${e.message ?? String(err)}${code && !String(e.message).includes(code) ? ` (${code})` : ''}`;
      throw new ModelUnavailableError(`OpenAI-compatible server ${this.url} for model ${model} ${why}`, { cause: err });
    } finally {
      call.dispose();
    }
    const text = res.text;
    if (res.status < 200 || res.status > 299) throw mapHttpError(res.status, text, model, this.url);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new ModelInvocationError(`OpenAI-compatible server ${this.url} returned invalid JSON for model ${model}: ${text.slice(0, 200)}`, { cause: err });
    }
    return fromOpenAIBody(body, model, Date.now() - started);
  }

  /** One POST: through the injected `fetch`, else http-post.ts over a kept-alive connection. */
  private async send(headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpReply> {
    if (!this.fetchImpl) return postJson((this.parsedUrl ??= new URL(this.url)), headers, body, signal);
    const res = await this.fetchImpl(this.url, { method: 'POST', headers, body, signal });
    return { status: res.status, text: await res.text() };
  }
}
