/** The sandbox port: a persistent Python session per run (AgentCore and Pyodide adapters implement it). */
import type { ModelPrice } from './pricing';
import type { CellResult, DocumentRef, SubCallRecord, SubCallStats } from './types';

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
   * Output-token limit of each sub-call (the run's `subMaxOutputTokens`); absent: the model's default. A reply cut
   * there reaches the code with a note saying so.
   */
  subMaxOutputTokens?: number;
  /**
   * Epoch ms by which a new session must be ready (the invocation's remaining time); adapters bound their
   * setup by it and fail with `SandboxError` past it. Undefined = the adapter's own setup limit.
   */
  deadline?: number;
  /**
   * The run's turn limit (`maxIterations`): an adapter whose sessions expire sizes the session's time-to-live
   * from it (AgentCore: `sessionTimeoutForRun`). Absent: the adapter's configured timeout.
   */
  maxIterations?: number;
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
  /**
   * Told as each sub-call ends (made, with its usage; an unfinished call aborted at the cell's end too), where
   * the sub-calls are made from the host: core records them durably while the cell runs (a sub-call made is
   * counted once even when the invocation dies before the cell's result is recorded).
   */
  onSubCallDone?: (record: SubCallRecord) => void;
  /**
   * Key (letters, digits, `_`, `-`; unique per cell of a run) under which a sandbox with a cell journal keeps this
   * cell's sub-call tally and report in the session, so a later invocation can recover the cell when the one
   * running it dies before the result arrives ({@link Sandbox.recoverCell}).
   */
  journalKey?: string;
}

/** What a session's cell journal says of a cell whose invocation ended before the cell's result arrived. */
export type RecoveredCell =
  /** The cell finished in the sandbox: its own result, sub-calls included. */
  | { state: 'done'; result: CellResult }
  /** It still runs (it did not end within the wait): the sub-calls it has made so far. */
  | { state: 'running'; sub: SubCallStats }
  /** No cell with this key started in this session: it never ran. */
  | { state: 'absent' };

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
  /**
   * Optional (sandboxes whose sessions outlive the invocation, AgentCore): stop every session still running
   * for run `runId` (sessions are named from the run), also one the run item does not point at (started by a
   * task that died or was stopped before recording it). Returns the IDs stopped. Idempotent.
   */
  stopRunSessions?(runId: string): Promise<string[]>;
  /**
   * Optional (sandboxes whose sessions outlive the invocation, AgentCore): what session `sessionId`'s cell journal
   * knows of the cell run with `journalKey`, waiting up to `waitMs` for it to end. Undefined when it cannot tell
   * (the session or its state lost, no answer in time); the caller then treats the cell as interrupted.
   */
  recoverCell?(sessionId: string, journalKey: string, options: { waitMs: number }): Promise<RecoveredCell | undefined>;
}
