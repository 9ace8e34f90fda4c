/** The language-model port: one Converse-shaped call (Bedrock, OpenAI-compatible and scripted adapters implement it). */
import type { TokenUsage } from './types';

/** A content block of a chat message (a provider-neutral subset of Bedrock Converse). */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; toolUseId: string; text: string; isError?: boolean };

/** A chat message. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

/** A tool the model may call (JSON Schema input). */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** Which side of the recursion a call is for: the root orchestrator or a sub-LLM from the sandbox. */
export type ModelRole = 'root' | 'sub';

/** One model call. */
export interface ModelRequest {
  role: ModelRole;
  modelId: string;
  system?: string;
  messages: ChatMessage[];
  /** Tools offered; empty/absent means a plain completion (e.g. the final call at the iteration cap). */
  tools?: ToolSpec[];
  maxOutputTokens?: number;
  temperature?: number;
  /**
   * Hint that the system prompt and all messages but the last are a stable prefix worth caching
   * (Bedrock cache points). Adapters without caching ignore it.
   */
  cachePrefix?: boolean;
  /**
   * Provider-specific request fields, passed through as is (Bedrock: `additionalModelRequestFields`,
   * e.g. `{anthropic_beta: ["context-1m-2025-08-07"]}` for the 1M-token window). Adapters that have
   * no such field ignore it.
   */
  providerOptions?: Record<string, unknown>;
}

/** Why the model stopped. */
export type ModelStopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'other';

/** One model reply. */
export interface ModelResponse {
  content: ContentBlock[];
  stopReason: ModelStopReason;
  usage: TokenUsage;
  modelId: string;
  latencyMs: number;
}

/** A retry an adapter is about to make (live progress: "retrying 2/6 in 4 s: ThrottlingException"). */
export interface RetryInfo {
  role: ModelRole;
  /** 1-based number of the retry about to be made. */
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  /** Error name that caused the retry, e.g. `ModelThrottledError` or the provider's code. */
  error: string;
}

/** Per-call options of `LanguageModel.converse`. */
export interface ModelCallOptions {
  /** Aborts the call (and its retries): the promise rejects promptly with an `AbortError`-named error. */
  signal?: AbortSignal;
  /** Told before each retry the adapter makes. */
  onRetry?: (info: RetryInfo) => void;
}

/**
 * A chat model. Throws `ModelThrottledError` / `ModelUnavailableError` (retryable),
 * `ContextWindowExceededError`, `ModelInvocationError`, `ScriptExhaustedError`.
 */
export interface LanguageModel {
  /** Short description for logs and the trajectory, e.g. `bedrock`, `openai:http://...`, `scripted:file`. */
  readonly description: string;
  converse(request: ModelRequest, options?: ModelCallOptions): Promise<ModelResponse>;
}
