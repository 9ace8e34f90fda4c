/**
 * `LanguageModel` over Amazon Bedrock's Converse API. Stateless per request: every call maps the full
 * conversation, so each root turn can run in its own Lambda invocation.
 */
import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  type ContentBlock as ConverseContentBlock,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type Message as ConverseMessage,
  type SystemContentBlock,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime';
import {
  ContextWindowExceededError,
  ModelInvocationError,
  ModelThrottledError,
  ModelUnavailableError,
} from '../../core/errors';
import type {
  ChatMessage,
  ContentBlock,
  LanguageModel,
  ModelCallOptions,
  ModelRequest,
  ModelResponse,
  ModelStopReason,
} from '../../core/ports';
import { AWS_THROTTLING_ERROR_NAMES } from '../aws-errors';
import { abortError, callSignal, throwIfAborted } from './call-signal';
import { DEFAULT_MODEL_TIMEOUT_MS } from './openai-model';

/**
 * Bedrock Runtime's HTTP/2 connections are closed after 300 s without a byte; a Converse call sends none until
 * the whole reply is generated, so a long generation needs every timeout on its path above that.
 */
export const BEDROCK_IDLE_LIMIT_MS = 300_000;

/**
 * Per-call timeout for calls that may generate for long (the pipeline's root calls): above
 * {@link BEDROCK_IDLE_LIMIT_MS}, below the RootTurn Lambda's 900 s, so the cells of the turn still get time.
 */
export const LONG_GENERATION_TIMEOUT_MS = 600_000;

/**
 * Config of a `BedrockRuntimeClient` whose HTTP/2 handler (`NodeHttp2Handler` options: stream `requestTimeout`,
 * session `sessionTimeout`) waits `timeoutMs` for a reply instead of giving up on an idle connection first.
 */
export function bedrockRuntimeClientConfig(options: { region?: string; timeoutMs?: number } = {}): BedrockRuntimeClientConfig {
  const timeoutMs = options.timeoutMs ?? LONG_GENERATION_TIMEOUT_MS;
  return {
    ...(options.region ? { region: options.region } : {}),
    // Options object: the client builds its NodeHttp2Handler from it (no handler import needed).
    requestHandler: { requestTimeout: timeoutMs, sessionTimeout: timeoutMs },
  };
}

/** Options of {@link BedrockConverseModel}. */
export interface BedrockConverseModelOptions {
  /** A ready client (tests pass one wrapped by `aws-sdk-client-mock`). */
  client?: BedrockRuntimeClient;
  /** Region for the client created when `client` is absent (else the SDK's default resolution). */
  region?: string;
  /** Abort a call after this many milliseconds (default {@link DEFAULT_MODEL_TIMEOUT_MS}); it fails as `ModelUnavailableError`. */
  timeoutMs?: number;
}

/**
 * Whether a model ID supports Converse cache points: Anthropic Claude (3.5 Haiku, 3.7 Sonnet and later)
 * and Amazon Nova, by base ID, cross-region inference profile (`us.`, `eu.`, `global.`...) or ARN.
 * Older Claude generations (instant, v2, 3 Haiku/Sonnet/Opus, 3.5 Sonnet) reject cache points.
 */
export function supportsPromptCaching(modelId: string): boolean {
  const id = modelId.toLowerCase();
  if (/(^|[.:/])amazon\.nova-/.test(id)) return true;
  if (!/(^|[.:/])anthropic\.claude-/.test(id)) return false;
  return !/anthropic\.claude-(instant|v2|3-(haiku|sonnet|opus)|3-5-sonnet)/.test(id);
}

/** Convert one of our content blocks to Converse (blank text blocks are dropped: Converse rejects them). */
function toConverseBlock(block: ContentBlock): ConverseContentBlock | undefined {
  switch (block.type) {
    case 'text':
      return block.text.trim() === '' ? undefined : { text: block.text };
    case 'tool_use':
      return { toolUse: { toolUseId: block.id, name: block.name, input: block.input as never } };
    case 'tool_result':
      return {
        toolResult: {
          toolUseId: block.toolUseId,
          content: [{ text: block.text === '' ? '(no output)' : block.text }],
          status: block.isError ? 'error' : 'success',
        },
      };
  }
}

/**
 * Render a tool block as text. Converse refuses `toolUse`/`toolResult` blocks in a request without
 * `toolConfig`, and a request without tools (the final call at the iteration cap) must not let the
 * model call one, so such a request carries its tool history as text.
 */
export function toolBlockAsText(block: ContentBlock): ContentBlock {
  if (block.type === 'tool_use') {
    const code = block.input.code;
    const body = typeof code === 'string' ? '```python\n' + code + '\n```' : JSON.stringify(block.input);
    return { type: 'text', text: `[called ${block.name} (${block.id})]\n${body}` };
  }
  if (block.type === 'tool_result') {
    return { type: 'text', text: `[result of ${block.toolUseId}${block.isError ? ', error' : ''}]\n${block.text}` };
  }
  return block;
}

function toConverseMessage(message: ChatMessage, toolsAsText: boolean): ConverseMessage {
  const blocks = toolsAsText ? message.content.map(toolBlockAsText) : message.content;
  const content = blocks.map(toConverseBlock).filter((b): b is ConverseContentBlock => b !== undefined);
  // A message made only of blank text still needs one non-blank block.
  return { role: message.role, content: content.length > 0 ? content : [{ text: '(empty)' }] };
}

/**
 * Build the exact `ConverseCommand` input for a request. With `cachePrefix` on a caching-capable model,
 * a cache point follows the system prompt and ends the last-but-one message (the stable prefix).
 * Without tools, tool blocks in the history are sent as text (see {@link toolBlockAsText}).
 * `providerOptions` become `additionalModelRequestFields`.
 */
export function toConverseInput(request: ModelRequest): ConverseCommandInput {
  const cache = request.cachePrefix === true && supportsPromptCaching(request.modelId);
  const specs = request.tools ?? [];
  const hasTools = specs.length > 0;
  const messages = request.messages.map((m) => toConverseMessage(m, !hasTools));
  if (cache && messages.length >= 2) {
    const prefixEnd = messages[messages.length - 2];
    prefixEnd.content = [...(prefixEnd.content ?? []), { cachePoint: { type: 'default' } }];
  }
  const input: ConverseCommandInput = { modelId: request.modelId, messages };
  if (request.system !== undefined && request.system !== '') {
    const system: SystemContentBlock[] = [{ text: request.system }];
    if (cache) system.push({ cachePoint: { type: 'default' } });
    input.system = system;
  }
  const inference: NonNullable<ConverseCommandInput['inferenceConfig']> = {};
  if (request.maxOutputTokens !== undefined) inference.maxTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (Object.keys(inference).length > 0) input.inferenceConfig = inference;
  if (request.providerOptions && Object.keys(request.providerOptions).length > 0) {
    input.additionalModelRequestFields = request.providerOptions as never;
  }
  if (hasTools) {
    const tools: Tool[] = specs.map((t) => ({
      toolSpec: { name: t.name, description: t.description, inputSchema: { json: t.inputSchema as never } },
    }));
    input.toolConfig = { tools };
  }
  return input;
}

const STOP_REASONS: Record<string, ModelStopReason> = {
  end_turn: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  // The model filled its context window while generating: the reply is cut off like at max_tokens.
  model_context_window_exceeded: 'max_tokens',
};

/** Map a Converse response back to our provider-neutral shape. */
export function fromConverseOutput(
  output: ConverseCommandOutput,
  modelId: string,
  latencyMs: number,
): ModelResponse {
  const content: ContentBlock[] = [];
  for (const block of output.output?.message?.content ?? []) {
    if (typeof block.text === 'string') {
      content.push({ type: 'text', text: block.text });
    } else if (block.toolUse) {
      const input = block.toolUse.input;
      content.push({
        type: 'tool_use',
        id: block.toolUse.toolUseId ?? `tooluse-${content.length}`,
        name: block.toolUse.name ?? '',
        input: input !== null && typeof input === 'object' && !Array.isArray(input)
          ? (input as Record<string, unknown>)
          : { value: input },
      });
    }
    // reasoningContent, citations, images...: not part of our contract, dropped.
  }
  const usage = output.usage;
  return {
    content,
    stopReason: STOP_REASONS[output.stopReason ?? ''] ?? 'other',
    usage: {
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      ...(usage?.cacheReadInputTokens !== undefined ? { cacheReadTokens: usage.cacheReadInputTokens } : {}),
      ...(usage?.cacheWriteInputTokens !== undefined ? { cacheWriteTokens: usage.cacheWriteInputTokens } : {}),
    },
    modelId,
    latencyMs,
  };
}

const UNAVAILABLE_NAMES = new Set([
  'ServiceUnavailableException', 'InternalServerException', 'ModelNotReadyException', 'ModelTimeoutException',
  'ModelErrorException', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const CONTEXT_WORDING =
  /too long|too many (input )?tokens|exceeds? (the )?(model'?s? )?(maximum )?context|context (window|length)|maximum context|input length|prompt length/i;

/** True when a provider message says the prompt does not fit the context window. */
export function isContextWindowMessage(message: string): boolean {
  return CONTEXT_WORDING.test(message);
}

/**
 * Map an error thrown by the Bedrock client to our named errors (by `name`, then HTTP status and
 * network codes). Keeps the original as `cause`; the message names the model ID.
 */
export function mapBedrockError(err: unknown, modelId: string): Error {
  const e = (err ?? {}) as { name?: string; message?: string; code?: string; $fault?: string;
    $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const detail = `${name}: ${e.message ?? String(err)}`;
  const msg = (what: string) => `Bedrock ${what} for model ${modelId} (${detail})`;
  const status = e.$metadata?.httpStatusCode;
  // Names first (ModelNotReadyException arrives as HTTP 429 but is an availability problem), then status.
  if (AWS_THROTTLING_ERROR_NAMES.has(name)) return new ModelThrottledError(msg('throttled the request'), { cause: err });
  if (UNAVAILABLE_NAMES.has(name) || (e.code !== undefined && NETWORK_CODES.has(e.code))) {
    return new ModelUnavailableError(msg('is unavailable'), { cause: err });
  }
  if (name === 'ValidationException' && isContextWindowMessage(e.message ?? '')) {
    return new ContextWindowExceededError(msg('rejected the prompt as too long'), { cause: err });
  }
  if (name === 'AccessDeniedException' || name === 'ResourceNotFoundException' || name === 'ValidationException') {
    return new ModelInvocationError(msg('refused the request'), { cause: err });
  }
  if (status === 429) return new ModelThrottledError(msg('throttled the request'), { cause: err });
  if ((status !== undefined && status >= 500) || e.$fault === 'server') {
    return new ModelUnavailableError(msg('is unavailable'), { cause: err });
  }
  return new ModelInvocationError(msg('call failed'), { cause: err });
}

/** Bedrock Converse adapter. Prompt caching via cache points when the request asks for it. */
export class BedrockConverseModel implements LanguageModel {
  readonly description = 'bedrock';
  private readonly client: BedrockRuntimeClient;
  private readonly timeoutMs: number;

  /** @param options an injected client, or the region for a new one; the per-call timeout. */
  constructor(options: BedrockConverseModelOptions = {}) {
    this.client = options.client ?? new BedrockRuntimeClient(options.region ? { region: options.region } : {});
    this.timeoutMs = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
  }

  /**
   * One Converse call. Throws the named errors of {@link mapBedrockError}; a call past the timeout is
   * `ModelUnavailableError`, and `options.signal` aborts it at once with an `AbortError` (not retried).
   */
  async converse(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    const what = `Bedrock call for model ${request.modelId}`;
    throwIfAborted(options.signal, what);
    const input = toConverseInput(request);
    const call = callSignal(options.signal, this.timeoutMs);
    const started = Date.now();
    let output: ConverseCommandOutput;
    try {
      output = await this.client.send(new ConverseCommand(input), { abortSignal: call.signal as never });
    } catch (err) {
      if (call.callerAborted()) throw abortError(what, options.signal, err);
      if (call.timedOut()) throw new ModelUnavailableError(`Bedrock did not answer within ${this.timeoutMs} ms for model ${request.modelId}`, { cause: err });
      throw mapBedrockError(err, request.modelId);
    } finally {
      call.dispose();
    }
    return fromConverseOutput(output, request.modelId, Date.now() - started);
  }
}
