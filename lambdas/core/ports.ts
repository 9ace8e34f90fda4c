/**
 * Ports: the small interfaces core needs from the outside world. `lambdas/adapters/` implements them
 * (Bedrock / OpenAI-compatible / scripted models; AgentCore / Pyodide sandboxes; DynamoDB store;
 * S3 / local-file documents). Core imports nothing else that does I/O. The model and sandbox ports live in
 * `model-port.ts` and `sandbox-port.ts`; this module re-exports them, so `./ports` names every port.
 */
export * from './model-port';
export * from './sandbox-port';
import type { RetryInfo } from './model-port';
import type { SubCallProgress } from './sandbox-port';
import type { DocumentRef, RunRecord, RunStatus, RunTotals, StopReason, SubCallEvent, TurnRecord, TurnStepRecord } from './types';

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
  /**
   * Set the sandbox session ID (or replace it after a restart) of a `running` run. Throws `RunNotFoundError`,
   * or `RunStateConflictError` (`sessionOnEndedRunError`) when the run has ended.
   */
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
   * Optional, for a store that can make one small write durable in microseconds without waiting (the local
   * store: a line appended to an open file, kept by the kernel through any kill of the process): the
   * synchronous log of turn `turn`'s sub-call events. Core then records every sub-call as it starts and as
   * it ends, before its answer reaches the code; without it (DynamoDB) `sub_calls` steps are batched.
   */
  openSubCallLog?(runId: string, turn: number): SubCallLogWriter;
  /** The events `openSubCallLog` wrote for turn `turn`, in order (a line torn by a kill is dropped). */
  listSubCallEvents?(runId: string, turn: number): Promise<SubCallEvent[]>;
  /**
   * Set an ended run that did not succeed (failed, cancelled) back to `running` for a resume, clearing its
   * outcome fields. Throws `RunStateConflictError` if it is running or succeeded, `RunNotFoundError` if absent.
   */
  reopenRun(runId: string, updatedAt: string): Promise<void>;
  /** Mark the run ended, only if it is still `running`. Throws `RunStateConflictError` otherwise. */
  finishRun(runId: string, outcome: RunOutcome): Promise<void>;
}

/** An open synchronous sub-call log (see `ConversationStore.openSubCallLog`). */
export interface SubCallLogWriter {
  /**
   * Write one event; when this returns it survives a kill of the process. Throws a `ConversationStoreError`
   * when it could not (core then records the event as a step instead).
   */
  append(event: SubCallEvent): void;
  /** Release the log. Idempotent. */
  close(): void;
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
  /**
   * The local file a document URI names (absolute path), for a sandbox on this machine that reads the
   * file itself instead of receiving its bytes; undefined when the URI is not a local file. No I/O.
   */
  localPath?(uri: string): string | undefined;
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
