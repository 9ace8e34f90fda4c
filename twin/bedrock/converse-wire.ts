/**
 * The Converse wire shapes (as `ConverseRequest$`/`ConverseResponse$`/`ConverseStreamOutput$` in
 * `@aws-sdk/client-bedrock-runtime` define them) translated to and from the core's `ModelRequest`/`ModelResponse`,
 * so the scripted model answers HTTP requests. Also the request checks Bedrock is known to make and the
 * `inferenceConfig.maxTokens` cut.
 */
import type { ChatMessage, ContentBlock, ModelRequest, ModelResponse, ModelRole, ToolSpec } from '../../lambdas/core/ports';
import { TwinHttpError } from '../http';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const invalid = (message: string) => new TwinHttpError(400, 'ValidationException', message);

function wireBlock(raw: unknown, where: string, hasTools: boolean): ContentBlock | undefined {
  if (!isObj(raw)) throw invalid(`${where} must be an object`);
  if (typeof raw.text === 'string') {
    if (raw.text.trim() === '') throw invalid(`The text field in the ContentBlock object at ${where} is blank. Add text to the text field, and try again.`);
    return { type: 'text', text: raw.text };
  }
  if (raw.cachePoint !== undefined) return undefined;
  if (isObj(raw.toolUse) || isObj(raw.toolResult)) {
    if (!hasTools) throw invalid('The toolConfig field must be defined when using toolUse and toolResult content blocks.');
  }
  if (isObj(raw.toolUse)) {
    const t = raw.toolUse;
    if (typeof t.toolUseId !== 'string' || typeof t.name !== 'string') throw invalid(`${where}.toolUse needs toolUseId and name`);
    return { type: 'tool_use', id: t.toolUseId, name: t.name, input: isObj(t.input) ? t.input : { value: t.input } };
  }
  if (isObj(raw.toolResult)) {
    const r = raw.toolResult;
    if (typeof r.toolUseId !== 'string') throw invalid(`${where}.toolResult needs toolUseId`);
    const parts = Array.isArray(r.content) ? r.content : [];
    const text = parts.map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : isObj(p) && p.json !== undefined ? JSON.stringify(p.json) : '')).join('');
    return { type: 'tool_result', toolUseId: r.toolUseId, text, ...(r.status === 'error' ? { isError: true } : {}) };
  }
  throw invalid(`${where}: the twin supports text, toolUse, toolResult and cachePoint blocks, got ${Object.keys(raw).join(', ') || 'nothing'}`);
}

/**
 * A Converse (or ConverseStream) request body as a core `ModelRequest` for `role`. Throws `ValidationException`
 * like Bedrock for an empty conversation, one not starting with a user message or not alternating roles, blank
 * text, tool blocks without `toolConfig`, and a `maxTokens` below 1.
 */
export function fromWireRequest(modelId: string, body: Json, role: ModelRole): ModelRequest {
  const tools: ToolSpec[] = [];
  if (body.toolConfig !== undefined) {
    const tc = body.toolConfig;
    if (!isObj(tc) || !Array.isArray(tc.tools) || tc.tools.length === 0) throw invalid('toolConfig.tools must be a non-empty list');
    tc.tools.forEach((t, i) => {
      const spec = isObj(t) && isObj(t.toolSpec) ? t.toolSpec : undefined;
      if (!spec || typeof spec.name !== 'string') throw invalid(`toolConfig.tools.${i}.toolSpec needs a name`);
      const schema = isObj(spec.inputSchema) && isObj(spec.inputSchema.json) ? spec.inputSchema.json : {};
      tools.push({ name: spec.name, description: typeof spec.description === 'string' ? spec.description : '', inputSchema: schema });
    });
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalid('The messages field is required and must contain at least one message.');
  const messages: ChatMessage[] = body.messages.map((m, i) => {
    if (!isObj(m) || (m.role !== 'user' && m.role !== 'assistant') || !Array.isArray(m.content)) {
      throw invalid(`messages.${i} must have role user or assistant and a content list`);
    }
    const content = m.content.map((b, j) => wireBlock(b, `messages.${i}.content.${j}`, tools.length > 0)).filter((b): b is ContentBlock => !!b);
    return { role: m.role, content };
  });
  if (messages[0].role !== 'user') throw invalid('A conversation must start with a user message. Try again with a conversation that starts with a user message.');
  for (let i = 1; i < messages.length; i++) {
    if (messages[i].role === messages[i - 1].role) {
      throw invalid('A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.');
    }
  }
  const request: ModelRequest = { role, modelId, messages };
  if (Array.isArray(body.system)) {
    const text = body.system.map((b) => (isObj(b) && typeof b.text === 'string' ? b.text : '')).join('\n');
    if (text) request.system = text;
  }
  if (tools.length > 0) request.tools = tools;
  const ic = body.inferenceConfig;
  if (isObj(ic) && ic.maxTokens !== undefined) {
    if (typeof ic.maxTokens !== 'number' || !Number.isInteger(ic.maxTokens) || ic.maxTokens < 1) {
      throw invalid('inferenceConfig.maxTokens must be an integer of at least 1');
    }
    request.maxOutputTokens = ic.maxTokens;
  }
  return request;
}

/**
 * Cuts a reply to `maxTokens` (the scripted model's estimate, ceil(chars / 4)): text is truncated at the budget,
 * a tool use whose code does not fit is dropped (a half-written tool call never reaches the caller), and the stop
 * reason becomes `max_tokens`. A reply within the budget is returned unchanged.
 */
export function applyMaxTokens(response: ModelResponse, maxTokens: number): ModelResponse {
  if (response.usage.outputTokens <= maxTokens) return response;
  let budget = maxTokens * 4;
  const content: ContentBlock[] = [];
  for (const block of response.content) {
    if (block.type === 'text') {
      content.push({ type: 'text', text: block.text.slice(0, budget) });
      budget -= Math.min(budget, block.text.length);
    } else if (block.type === 'tool_use') {
      const size = String(block.input.code ?? JSON.stringify(block.input)).length;
      if (size > budget) { budget = 0; break; }
      content.push(block);
      budget -= size;
    }
    if (budget <= 0) break;
  }
  const kept = content.filter((b) => b.type !== 'text' || b.text !== '');
  return { ...response, content: kept.length > 0 ? kept : [{ type: 'text', text: '' }], stopReason: 'max_tokens', usage: { ...response.usage, outputTokens: maxTokens } };
}

/** Output blocks in wire form. */
function wireContent(content: ContentBlock[]): Json[] {
  return content.map((b) => (b.type === 'tool_use' ? { toolUse: { toolUseId: b.id, name: b.name, input: b.input } } : { text: b.type === 'text' ? b.text : '' }));
}

const usageOf = (r: ModelResponse) => ({
  inputTokens: r.usage.inputTokens,
  outputTokens: r.usage.outputTokens,
  totalTokens: r.usage.inputTokens + r.usage.outputTokens,
});

/** The `ConverseResponse` body (`output`, `stopReason`, `usage`, `metrics` are the model's required members). */
export function toWireResponse(response: ModelResponse, latencyMs: number): Json {
  return {
    output: { message: { role: 'assistant', content: wireContent(response.content) } },
    stopReason: response.stopReason,
    usage: usageOf(response),
    metrics: { latencyMs },
  };
}

/**
 * The `ConverseStreamOutput` events of a reply, in the service's order: `messageStart`; per block
 * (`contentBlockStart` for a tool use), `contentBlockDelta` (text, or the tool input as a JSON string),
 * `contentBlockStop`; `messageStop`; `metadata` with usage and metrics.
 */
export function toStreamEvents(response: ModelResponse, latencyMs: number): Array<[string, Json]> {
  const events: Array<[string, Json]> = [['messageStart', { role: 'assistant' }]];
  response.content.forEach((b, i) => {
    if (b.type === 'tool_use') {
      events.push(['contentBlockStart', { contentBlockIndex: i, start: { toolUse: { toolUseId: b.id, name: b.name } } }]);
      events.push(['contentBlockDelta', { contentBlockIndex: i, delta: { toolUse: { input: JSON.stringify(b.input) } } }]);
    } else if (b.type === 'text') {
      events.push(['contentBlockDelta', { contentBlockIndex: i, delta: { text: b.text } }]);
    }
    events.push(['contentBlockStop', { contentBlockIndex: i }]);
  });
  events.push(['messageStop', { stopReason: response.stopReason }]);
  events.push(['metadata', { usage: usageOf(response), metrics: { latencyMs } }]);
  return events;
}
