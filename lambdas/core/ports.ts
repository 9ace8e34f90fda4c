/**
 * Ports: the small interfaces core needs from the outside world. `lambdas/adapters/` implements them
 * (Bedrock / OpenAI-compatible / scripted models; AgentCore / Pyodide sandboxes; DynamoDB store;
 * S3 / local-file documents). Core imports nothing else that does I/O.
 */
import type { ModelPrice } from './pricing';
import type {
  CellResult,
  DocumentRef,
  RunRecord,
  RunStatus,
  RunTotals,
  StopReason,
  TokenUsage,
  TurnRecord,
  TurnStepRecord,
} from './types';

// ---------------------------------------------------------------- language model

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

// ---------------------------------------------------------------- sandbox

/** Options when starting a sandbox session for a run. */
export interface SandboxStartOptions {
  runId: string;
  documents: DocumentRef[];
  /** Sub-model used by `llm_query` when the model passes no `model=`. */
  subModelId: string;
  subConcurrency: number;
  /** Largest stdout+stderr the sandbox captures per cell (head and tail kept). */
  maxCaptureChars: number;
  /** Every model sub-calls may name in this run (sub model first); absent = only `subModelId`. */
  allowedModels?: string[];
  /**
   * Epoch ms by which a new session must be ready (the invocation's remaining time); adapters bound their
   * setup by it and fail with `SandboxError` past it. Undefined = the adapter's own setup limit.
   */
  deadline?: number;
}

/**
 * What a run may still spend when a cell starts. Enforced at call time: a sub-call past a cap (or
 * naming a model not in `allowedModels`) is not made; the code gets an `Error: ... cap reached` /
 * `Error: ... not allowed` string and the cell result carries `capReached`.
 */
export interface SubCallBudget {
  /** Sub-calls still allowed (undefined = no cap). */
  calls?: number;
  /** Root + sub tokens (input + output) still allowed (undefined = no cap). */
  tokens?: number;
  /** Estimated USD still allowed (undefined = no cap). */
  costUsd?: number;
  /** Model IDs `llm_query(model=...)` may name; the first is the default sub model. */
  allowedModels: string[];
  /**
   * Price of each allowed model that has one (USD per 1M tokens), so the sandbox side can enforce
   * `costUsd` as calls finish; a model without an entry is unpriced (see RunSummary.unpricedModels).
   */
  prices?: Record<string, ModelPrice>;
}

/** Live sub-call counters of the cell in flight (progress lines). */
export interface SubCallProgress {
  inFlight: number;
  done: number;
  errors: number;
}

/** Options of one cell. */
export interface CellExecOptions {
  timeoutMs: number;
  /** Caps enforced at call time; absent = no caps and only the session's default sub model. */
  budget?: SubCallBudget;
  /** Told as the cell's sub-calls start and finish. */
  onSubCalls?: (progress: SubCallProgress) => void;
}

/** A live sandbox session: a persistent Python namespace with the prelude and documents loaded. */
export interface SandboxSession {
  readonly sessionId: string;
  /** Run one cell. Failures of the model's code come back as data (stderr, `raised`), never as throws. */
  execute(code: string, options: CellExecOptions): Promise<CellResult>;
  /** Stop the session and free its resources. Idempotent. */
  close(): Promise<void>;
}

/** What a freshly started session reports about the loaded context. */
export interface LoadedContext {
  /** The documents with their exact lengths in characters, in load order. */
  documents: DocumentRef[];
  /** Length of `context` (documents joined with separators when there are several). */
  totalChars: number;
  /** The first `CONTEXT_PREVIEW_CHARS` characters of `context`. */
  preview: string;
}

/** Characters of `context` shown to the root model as a preview. */
export const CONTEXT_PREVIEW_CHARS = 500;

/** Creates and re-attaches sandbox sessions. */
export interface Sandbox {
  readonly description: string;
  /**
   * Start a session, install the prelude and load the documents as `context` / `documents`.
   * Throws `DocumentError` when a document is missing, binary or not UTF-8 text. An adapter may resolve
   * once the documents were read and `loaded` is known, while the session still boots: its `execute`
   * then waits for the session to be ready (and rejects with what made the start fail).
   */
  start(options: SandboxStartOptions): Promise<{ session: SandboxSession; loaded: LoadedContext }>;
  /** Re-attach to a session started earlier (next Lambda invocation). Throws `SandboxSessionLostError` if gone. */
  resume(sessionId: string, options: SandboxStartOptions): Promise<SandboxSession>;
  /** Stop a session by ID, whether or not this process attached to it. Idempotent. */
  stop(sessionId: string): Promise<void>;
}

// ---------------------------------------------------------------- conversation store

/** Fields a turn write updates on the run item, atomically with the expected iteration. */
export interface RunProgress {
  iterations: number;
  totals: RunTotals;
  updatedAt: string;
}

/** Fields written when a run ends. */
export interface RunOutcome {
  status: Exclude<RunStatus, 'running'>;
  answer?: string;
  /** Artifact with the whole answer when `answer` is only a preview. */
  answerUri?: string;
  stopReason: StopReason;
  stopDetail?: string;
  error?: { name: string; message: string };
  updatedAt: string;
}

/**
 * Durable runs, turns and the steps of the turn in progress. Writes are conditional: a retried turn never
 * duplicates or overwrites one. Read-after-write is consistent. Adapters: DynamoDB (AWS, dynalite) and
 * files on disk (local runs). Transient failures are `ConversationStoreThrottledError` /
 * `ConversationStoreUnavailableError` (retryable: every write is conditional, so retrying one is safe).
 */
export interface ConversationStore {
  /** Create the run item. Throws `RunStateConflictError` if the run ID exists. */
  createRun(run: RunRecord): Promise<void>;
  /** Throws `RunNotFoundError`. */
  getRun(runId: string): Promise<RunRecord>;
  /** Set the sandbox session ID (or replace it after a restart). */
  setSandboxSession(runId: string, sessionId: string): Promise<void>;
  /**
   * Write turn `turn.index` only if it does not exist yet (conditional put).
   * Throws `TurnAlreadyRecordedError` if an earlier attempt wrote it. Items too large for
   * DynamoDB are compressed by the adapter; the turn is never silently truncated.
   */
  putTurn(turn: TurnRecord): Promise<void>;
  /**
   * Advance the run item to `progress`, only if it is still `running` with
   * `iterations === fromIterations`. Throws `RunStateConflictError` otherwise.
   * (Two conditional writes instead of a transaction: core repairs a crash between them.)
   */
  advanceRun(runId: string, fromIterations: number, progress: RunProgress): Promise<void>;
  /** All turns in index order, as stored (core's `loadTurns` reads spilled bodies back). */
  listTurns(runId: string): Promise<TurnRecord[]>;
  /**
   * Record one step of turn `step.turn` only if no step with its `seq` exists (conditional put).
   * Throws `StepAlreadyRecordedError` otherwise.
   */
  putStep(step: TurnStepRecord): Promise<void>;
  /** The recorded steps of one turn, in `seq` order (empty when none). */
  listSteps(runId: string, turn: number): Promise<TurnStepRecord[]>;
  /**
   * Set an ended run that did not succeed (failed, cancelled) back to `running` for a resume, clearing its
   * outcome fields. Throws `RunStateConflictError` if it is running or succeeded, `RunNotFoundError` if absent.
   */
  reopenRun(runId: string, updatedAt: string): Promise<void>;
  /** Mark the run ended, only if it is still `running`. Throws `RunStateConflictError` otherwise. */
  finishRun(runId: string, outcome: RunOutcome): Promise<void>;
}

// ---------------------------------------------------------------- documents and artifacts

/** A text document as UTF-8 bytes (valid, no NUL, no byte-order mark) and its length in code points. */
export interface TextBytes {
  bytes: Uint8Array;
  chars: number;
}

/** Reads documents and writes run artifacts (results, large outputs). */
export interface DocumentStore {
  /**
   * Expand a URI to documents: a file or object is one document; a directory or S3 prefix (ending
   * in `/`) is every text file under it (binary files skipped, `.git`/`node_modules` ignored).
   * `chars` may be an estimate (bytes) until the sandbox loads the text. Throws `DocumentError`
   * for a missing path, an explicitly named binary file, or a folder with no text file.
   */
  resolve(uri: string): Promise<DocumentRef[]>;
  /** Full text of a document. Throws `DocumentError` for missing/binary/unreadable content. */
  readText(uri: string): Promise<string>;
  /**
   * The same document as checked UTF-8 bytes (BOM dropped) with its exact length, without decoding it:
   * what a sandbox loads (read once, never turned into a string on the host). Same errors as `readText`.
   */
  readTextBytes?(uri: string): Promise<TextBytes>;
  /** Write an artifact (JSON or text) under the results area; returns its URI. */
  putArtifact(key: string, body: string, contentType?: string): Promise<string>;
}

// ---------------------------------------------------------------- operations

/** Structured logger (Powertools on Lambda, stderr locally). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Metrics sink (Powertools metrics on Lambda, no-op or collector locally). */
export interface MetricsSink {
  count(name: string, value: number, unit?: 'Count' | 'Seconds' | 'Milliseconds' | 'None'): void;
}

/** Published when a run ends (EventBridge on AWS). */
export interface RunFinishedEvent {
  runId: string;
  status: 'succeeded' | 'failed';
  stopReason: StopReason;
  iterations: number;
  costUsd: number;
  resultUri?: string;
  error?: { name: string; message: string };
  tags?: Record<string, string>;
}

/** Publishes run lifecycle events. */
export interface EventPublisher {
  runFinished(event: RunFinishedEvent): Promise<void>;
}

/** Progress callback for live per-turn reporting (CLI stderr). Every member is optional. */
export interface ProgressListener {
  turnStarted?(info: { runId: string; iteration: number; maxIterations: number }): void;
  /** The root model call of a turn is in flight (`finalCall`: the last call without tools). */
  modelCallStarted?(info: { runId: string; iteration: number; finalCall: boolean }): void;
  /** A model adapter is about to retry. */
  retrying?(info: { runId: string } & RetryInfo): void;
  /** A cell is running (index is 1-based within the turn). */
  cellStarted?(info: { runId: string; iteration: number; cell: number }): void;
  /** Sub-call counters of the cell in flight changed. */
  subCalls?(info: { runId: string; iteration: number; cell: number } & SubCallProgress): void;
  turnFinished?(info: { runId: string; turn: TurnRecord; totals: RunTotals; maxIterations: number }): void;
}

/** Helper for a logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** Helper for a metrics sink that drops everything. */
export const noMetrics: MetricsSink = { count() {} };
