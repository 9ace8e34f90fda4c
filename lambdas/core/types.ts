/** Domain types shared by core, adapters and handlers. Plain JSON-serialisable data only. */
import type { RunSettings } from './settings';

/** Token usage of one or more model calls. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Prompt-cache reads (Bedrock `cacheReadInputTokens`), when the provider reports them. */
  cacheReadTokens?: number;
  /** Prompt-cache writes (Bedrock `cacheWriteInputTokens`). */
  cacheWriteTokens?: number;
}

/** A document the run reads. `uri` is `file:///abs/path` locally or `s3://bucket/key` on AWS. */
export interface DocumentRef {
  /** Display name the model sees and the key in the sandbox's `documents` dict (e.g. relative path). */
  name: string;
  uri: string;
  /** Length in characters (not bytes). */
  chars: number;
}

/**
 * Everything that configures a run: inferred from the settings table (`settings.ts`), where each field's type,
 * bounds, default and help line are declared once. Defaults in `config.ts` (`DEFAULT_RUN_CONFIG`).
 */
export interface RunConfig extends RunSettings {}

/** Limits and knobs of one run: the run config without the model IDs. */
export type RunLimits = Omit<RunConfig, 'rootModelId' | 'subModelId'>;

/** One sub-LLM call made from the sandbox (kept small: previews, not whole prompts). */
export interface SubCallRecord {
  model: string;
  promptChars: number;
  responseChars: number;
  promptPreview: string;
  responsePreview: string;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
  error?: string;
  /** Full prompt text (records spill to an artifact when large; see the store). */
  prompt?: string;
  /** Full reply text. */
  response?: string;
  /** Position in its `llm_query_batched` batch (0-based) and the batch's number within the cell (1-based). */
  batch?: { id: number; index: number; size: number };
  /** The reply was cut at the output-token limit (`stopReason` max_tokens). */
  truncated?: boolean;
}

/** Sub-call accounting of one cell. */
export interface SubCallStats {
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  records: SubCallRecord[];
  /** Estimated USD of these sub-calls, computed when the cell was recorded (kept when `records` spill). */
  costUsd?: number;
  /** When the records were too large for the store, the artifact holding them (JSON array); `records` is then empty. */
  recordsUri?: string;
}

/** What executing one cell of model-written code produced. */
export interface CellResult {
  stdout: string;
  stderr: string;
  /**
   * Set only when executed code called FINAL/FINAL_VAR successfully. In a stored record a long value is a
   * preview and `valueUri` names the artifact with the whole answer (the turn's outcome points to the same one).
   */
  final?: { value: string; variable?: string; valueUri?: string };
  timedOut: boolean;
  /** Model code raised (the traceback is in stderr). */
  raised: boolean;
  durationMs: number;
  sub: SubCallStats;
  /** Notes from the sandbox itself (e.g. "session restarted, variables lost"). */
  notices?: string[];
  /** Set when a sub-call in this cell was refused by a cap (which one, described); the run stops as `limit` after the cell. */
  capReached?: string;
}

/** One executed block of code inside a turn. */
export interface CellRecord {
  /** Tool-use ID when the code came through `execute_python`; absent for fenced blocks. */
  toolUseId?: string;
  code: string;
  /** Output exactly as the root model saw it (truncated to maxOutputChars). */
  modelOutput: string;
  /** stdout+stderr as captured (bounded by the sandbox capture cap). */
  fullOutput: string;
  /** When fullOutput was too large for the conversation store, where it was written instead. */
  fullOutputUri?: string;
  result: Omit<CellResult, 'stdout' | 'stderr'>;
}

/** How a turn's reply was handled. */
export type TurnKind = 'code' | 'no_code' | 'final_call';

/** One root-model turn: reply, code run, output, accounting. */
export interface TurnRecord {
  runId: string;
  /** 1-based. */
  index: number;
  kind: TurnKind;
  startedAt: string;
  endedAt: string;
  replyText: string;
  cells: CellRecord[];
  rootUsage: TokenUsage;
  rootModelId: string;
  rootLatencyMs: number;
  /** Message the engine sent back instead of cell output (e.g. the no-code nudge). */
  feedback?: string;
  /** Set on the turn that ended the run. */
  outcome?: TurnOutcome;
  /** Estimated USD of this turn (root call plus its cells' sub-calls), under the prices it was recorded with. */
  costUsd?: number;
  /** The run's totals after this turn. */
  totalsAfter?: RunTotals;
  /**
   * When the turn was too large for one store item, the artifact holding the whole record (JSON); the stored
   * item keeps the metadata and no cells. Core's `loadTurns` reads it back.
   */
  bodyUri?: string;
  /** The turn was resumed after an interrupted attempt (a retried invocation replayed its recorded steps). */
  resumed?: boolean;
}

/** A code block of the root reply as recorded before it runs (see `TurnStep`). */
export interface RecordedCodeRequest {
  code: string;
  toolUseId?: string;
  /** Set when the block could not be run (why, for the model). */
  invalid?: string;
}

/**
 * One recorded step of a turn in progress. A turn is written as a sequence of steps: the root reply first,
 * then, per cell, `cell_started` before it runs, `sub_calls` as its sub-calls end, and `cell_done` when it finished (or `cell_not_run` when the
 * sandbox refused it before it ran). A retried turn replays the steps instead of redoing them.
 */
export type TurnStep =
  | { kind: 'reply'; at: string; turn: Omit<TurnRecord, 'cells' | 'endedAt'>; requests: RecordedCodeRequest[] }
  | { kind: 'cell_started'; at: string; cell: number }
  | { kind: 'cell_done'; at: string; cell: number; record: CellRecord }
  /** A step too large for one store item, written whole to an artifact (`uri`, the step's JSON). */
  | { kind: 'spilled'; at: string; uri: string }
  | { kind: 'cell_not_run'; at: string; cell: number; reason: string }
  /**
   * Sub-calls of cell `cell` that ended while it ran (full prompt and reply texts left out), written as they
   * happen, and `started`, how many its attempt had started so far: a cell whose invocation died before
   * `cell_done` still counts them, once, those in flight included (core/run/sub-call-journal.ts).
   */
  | { kind: 'sub_calls'; at: string; cell: number; records: SubCallRecord[]; started?: number; first?: number }
  /**
   * A new sandbox session replaced a lost one during this turn (written before the run item points at it):
   * a retried attempt that resumes it still tells the model its variables are gone.
   */
  | { kind: 'session_replaced'; at: string; sessionId: string };

/**
 * A `sub_calls` step written to the store's synchronous sub-call log (`ConversationStore.openSubCallLog`) as
 * each sub-call starts and ends, with `attempt`, the sequence number of the `cell_started` step of the attempt
 * it belongs to. `first` (1-based) numbers `records[0]` among the attempt's ended calls, so a record written
 * both here and as a step is counted once.
 */
export type SubCallEvent = Extract<TurnStep, { kind: 'sub_calls' }> & { attempt: number };

/** A step as stored: run, turn index, 1-based sequence number within the turn. */
export interface TurnStepRecord {
  runId: string;
  turn: number;
  seq: number;
  step: TurnStep;
}

/** How a run ended, recorded on its last turn. */
export interface TurnOutcome {
  stopReason: StopReason;
  /** The answer (a preview when `answerUri` is set; core's `loadTurns` puts the whole answer back). */
  answer: string | null;
  /** Artifact with the whole answer when it was too large to store inline. */
  answerUri?: string;
  /** Which variable FINAL_VAR used, or which limit stopped the run. */
  detail?: string;
}

/**
 * Lifecycle of a run item: `running` until FinalizeRun (`succeeded`) or RecordFailure (`failed`), or
 * `cancelled` when the caller stopped it (Ctrl-C / SIGTERM locally); every status but `running` is final.
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
/**
 * Why a run stopped: `final` executed code called FINAL/FINAL_VAR; `iteration_cap` maxIterations turns ran;
 * `limit` an optional limit was reached or the root conversation outgrew the context window; `error` the run failed;
 * `cancelled` the caller stopped the run.
 */
export type StopReason = 'final' | 'iteration_cap' | 'limit' | 'error' | 'cancelled';

/** Running totals of a run. */
export interface RunTotals {
  rootInputTokens: number;
  rootOutputTokens: number;
  rootCacheReadTokens: number;
  rootCacheWriteTokens: number;
  subInputTokens: number;
  subOutputTokens: number;
  subCalls: number;
  subCallErrors: number;
  cellSeconds: number;
  costUsd: number;
  consecutiveErrors: number;
}

/** The run item. */
export interface RunRecord {
  runId: string;
  status: RunStatus;
  question: string;
  documents: DocumentRef[];
  config: RunConfig;
  /** Sandbox session ID (Pyodide registry key or AgentCore session ID). */
  sandboxSessionId?: string;
  /** Number of turns recorded so far. */
  iterations: number;
  totals: RunTotals;
  answer?: string;
  /** Artifact with the whole answer when it was too large for the run item (`answer` is then a preview). */
  answerUri?: string;
  /** Artifact with the document list when it was too large for the run item (`documents` is then empty). */
  documentsUri?: string;
  stopReason?: StopReason;
  /** Why the run stopped when it was not FINAL (limit name, error message). */
  stopDetail?: string;
  error?: { name: string; message: string };
  createdAt: string;
  updatedAt: string;
  /** Epoch seconds after which DynamoDB TTL may delete the item. */
  expiresAt?: number;
  /** First characters of `context`, shown to the root model (fixed size, independent of the document size). */
  contextPreview?: string;
  /** Length of `context` in characters. */
  contextChars?: number;
  /** Free-form labels from the caller (batch id, trigger source...). */
  tags?: Record<string, string>;
}

/** What each state-machine task returns: IDs and counters, never the transcript. */
export interface RunState {
  runId: string;
  iteration: number;
  done: boolean;
  stopReason?: StopReason;
}

/** A request to start a run: the state machine's execution input. */
export interface StartRunRequest {
  question: string;
  /** `s3://bucket/key`, `s3://bucket/prefix/`, `file:///abs/path` (file or directory), or `{uri, name}`. */
  documents: Array<string | { uri: string; name?: string }>;
  /** Per-run overrides of the stack/CLI defaults (validated by `resolveRunConfig`). */
  options?: Partial<RunConfig>;
  tags?: Record<string, string>;
}

/** Accounting of a finished run, as the CLI and results files report it (the token and call counts of `RunTotals`). */
export type RunUsage = Pick<RunTotals,
  'rootInputTokens' | 'rootOutputTokens' | 'rootCacheReadTokens' | 'rootCacheWriteTokens' | 'subInputTokens' | 'subOutputTokens' | 'subCalls'>;

/** The outcome of a run (CLI `--output json`, results files, batch results lines). */
export interface RunSummary {
  runId: string;
  status: RunStatus;
  answer: string | null;
  stopReason: StopReason;
  stopDetail?: string;
  iterations: number;
  usage: RunUsage;
  /** USD of the priced usage; a lower bound when `unpricedModels` is present. */
  costUsd: number;
  /** Models used without a price in the table (default table only; an explicit table must price every model). */
  unpricedModels?: string[];
  elapsedMs?: number;
  trajectoryPath?: string;
  resultUri?: string;
  error?: { name: string; message: string };
}
