/**
 * Durable sub-calls of the cell in flight: each sub-call's record, told by the sandbox as the call ends
 * (`CellExecOptions.onSubCallDone`), and how many calls the cell has started (from `onSubCalls`), go on
 * record so that a cell whose invocation dies before its `cell_done` still counts the sub-calls it made,
 * once: a replay reads them back for the interrupted cell (`replayedSubCalls`), a call that was in flight
 * counting as an unfinished error (as the host ledger counts it); a recorded cell counts its own record and
 * these are ignored.
 *
 * Where the store has a synchronous sub-call log (`ConversationStore.openSubCallLog`: the local store, one
 * line appended to an open file), every start is written at once, inside the listener, which the sandbox's
 * ledger calls before the request goes out; the records of calls that ended go in the same line (one write
 * per call), or at `drain()` when the cell ended. The code in the sandbox can act outside it only by making
 * another sub-call or by ending the cell, so every answer it acted on is on record before the action: a kill
 * at any moment loses no call made (a call whose start is on record counts, answered or not) and no record
 * of an answer the code acted on; an answer the code got but had not acted on yet counts as an unfinished call.
 * Otherwise (DynamoDB), or once that log failed, they are appended to the turn's step log as `sub_calls`
 * steps, batched per `SUB_CALL_FLUSH_MS` (one write in flight at a time), and written before `cell_done`.
 */
import { emptySubStats } from '../cell-report';
import { ConversationStoreError, describeError, DocumentError } from '../errors';
import { isoNow, type EngineDeps } from '../engine-deps';
import type { SubCallLogWriter, SubCallProgress } from '../ports';
import type { SubCallRecord, SubCallStats, TurnStep } from '../types';
import type { StepLog } from './step-log';

/** Largest delay between a sub-call starting or ending and it being written (ms). */
export const SUB_CALL_FLUSH_MS = 250;

/** The error of a sub-call that was in flight when its invocation ended. */
export const UNFINISHED_SUB_CALL = 'Unfinished: the invocation running this cell ended before this sub-call returned';

/** A record as the step log keeps it: previews only (the whole prompt and reply stay with `cell_done`). */
function slim(record: SubCallRecord): SubCallRecord {
  const { prompt: _p, response: _r, ...rest } = record;
  return rest;
}

/** Sub-call stats of ended sub-calls plus `unfinished` calls in flight (each counts as a call made, an error). */
export function statsOf(records: SubCallRecord[], unfinished = 0): SubCallStats {
  const sub = emptySubStats();
  const all = [...records, ...Array.from({ length: unfinished }, (): SubCallRecord => ({
    model: '', promptChars: 0, responseChars: 0, promptPreview: '', responsePreview: '', inputTokens: 0, outputTokens: 0, durationMs: 0, error: UNFINISHED_SUB_CALL,
  }))];
  for (const r of all) {
    sub.calls += 1;
    if (r.error) sub.errors += 1;
    sub.inputTokens += Math.max(0, r.inputTokens);
    sub.outputTokens += Math.max(0, r.outputTokens);
    sub.records.push(r);
  }
  return sub;
}

/**
 * What the recorded steps say cell `cell` spent on sub-calls, over every attempt at it (an attempt begins
 * with its `cell_started`): its ended calls, and those started but never reported ended. A record on
 * record twice (numbered by `first`: written to the sub-call log, then again as a step) counts once.
 */
export function replayedSubCalls(steps: readonly TurnStep[], cell: number): SubCallStats {
  const ended: SubCallRecord[] = [];
  let unfinished = 0;
  let attempt = { started: 0, ended: 0, seen: new Set<number>() };
  const close = () => (unfinished += Math.max(0, attempt.started - attempt.ended));
  for (const s of steps) {
    if (!('cell' in s) || s.cell !== cell) continue;
    if (s.kind === 'cell_started') {
      close();
      attempt = { started: 0, ended: 0, seen: new Set() };
    } else if (s.kind === 'sub_calls') {
      s.records.forEach((r, i) => {
        if (s.first !== undefined) {
          if (attempt.seen.has(s.first + i)) return;
          attempt.seen.add(s.first + i);
        }
        ended.push(r);
        attempt.ended += 1;
      });
      attempt.started = Math.max(attempt.started, s.started ?? 0);
    }
  }
  close();
  return statsOf(ended, unfinished);
}

/** The journal of one cell. Create it right after the cell's `cell_started` step; `drain()` when it ended. */
export class SubCallJournal {
  private readonly all: SubCallRecord[] = [];
  /** Records not on record yet (for the step log), numbered from `pendingFirst`. */
  private pending: SubCallRecord[] = [];
  private pendingFirst = 1;
  private started = 0;
  private startedWritten = 0;
  private writing: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failure: unknown;
  /** The synchronous log: opened at the first event; null when the store has none or it failed. */
  private syncLog: SubCallLogWriter | null | undefined;
  /** Ended records waiting for the next line of the synchronous log, numbered from `heldFirst`. */
  private held: SubCallRecord[] = [];
  private heldFirst = 1;
  /** Sequence number of this attempt's `cell_started` step. */
  private readonly attempt: number;

  constructor(private readonly deps: EngineDeps, private readonly log: StepLog, private readonly cell: number) {
    this.attempt = log.lastSeq;
    if (!deps.store.openSubCallLog) this.syncLog = null;
  }

  /** The listener for `CellExecOptions.onSubCallDone`. Never throws. */
  readonly onSubCallDone = (record: SubCallRecord): void => {
    const kept = slim(record);
    this.all.push(kept);
    const ordinal = this.all.length;
    this.started = Math.max(this.started, ordinal);
    if (this.syncLog !== null && this.failure === undefined) {
      // Written with the next start (before that request leaves) or at drain().
      if (this.held.length === 0) this.heldFirst = ordinal;
      this.held.push(kept);
      return;
    }
    this.stepLater([kept], ordinal);
  };

  /** Hand records to the batched step log. */
  private stepLater(records: SubCallRecord[], first: number): void {
    if (records.length === 0) {
      this.schedule();
      return;
    }
    if (this.pending.length === 0) this.pendingFirst = first;
    this.pending.push(...records);
    this.schedule();
  }

  /** Feed `CellExecOptions.onSubCalls` progress here: calls started = in flight + done. Never throws. */
  progress(p: SubCallProgress): void {
    const started = p.inFlight + p.done;
    if (started <= this.started) return;
    this.started = started;
    this.writeHeld();
  }

  /** One line of the synchronous log with the held records and the started count, else batched steps. */
  private writeHeld(): void {
    const records = this.held;
    const first = this.heldFirst;
    this.held = [];
    if (!this.writeNow(records, first)) this.stepLater(records, first);
  }

  /** Every sub-call told so far (written or not), those in flight as unfinished. */
  stats(): SubCallStats {
    return statsOf(this.all, Math.max(0, this.started - this.all.length));
  }

  /**
   * Write what is pending now, and wait for every write of this journal. A store failure is logged, not
   * thrown; an unexpected error of any write is rethrown here.
   */
  async drain(): Promise<void> {
    if (this.held.length) this.writeHeld();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.syncLog?.close();
    if (this.syncLog) this.syncLog = undefined;
    await this.flush();
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Write one event to the synchronous log, if there is one: true when it is on record (or the invocation is
   * going down and nothing more is written), false when the step log must take it.
   */
  private writeNow(records: SubCallRecord[], first: number): boolean {
    if (this.failure !== undefined) return true;
    if (this.syncLog === null) return false;
    try {
      this.syncLog ??= this.deps.store.openSubCallLog?.(this.log.runId, this.log.turn) ?? null;
      if (!this.syncLog) return false;
      const started = this.started;
      this.syncLog.append({ kind: 'sub_calls', at: isoNow(this.deps), cell: this.cell, attempt: this.attempt, records, started, ...(records.length ? { first } : {}) });
      this.startedWritten = Math.max(this.startedWritten, started);
      return true;
    } catch (err) {
      if (!(err instanceof ConversationStoreError)) {
        this.failure ??= err;
        return true;
      }
      // The log is unusable from here on (a torn line may end it): the step log takes the rest.
      this.syncLog?.close();
      this.syncLog = null;
      this.deps.logger.warn('could not append to the sub-call log; recording sub-calls as steps', { runId: this.log.runId, turn: this.log.turn, cell: this.cell, error: describeError(err) });
      return false;
    }
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, SUB_CALL_FLUSH_MS);
  }

  private flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if ((this.pending.length === 0 && this.started === this.startedWritten) || this.failure !== undefined) return;
      const records = this.pending;
      const first = this.pendingFirst;
      const started = this.started;
      this.pending = [];
      try {
        await this.log.append({ kind: 'sub_calls', at: isoNow(this.deps), cell: this.cell, records, started, ...(records.length ? { first } : {}) });
        this.startedWritten = Math.max(this.startedWritten, started);
      } catch (err) {
        // Only the store's own errors are absorbed (after the step log's retries): the records are kept
        // for the next write, and the cell's own record (cell_done) still counts them if it is written.
        // Anything else (the invocation is going down) surfaces at drain().
        if (!(err instanceof ConversationStoreError || err instanceof DocumentError)) {
          this.failure ??= err;
          return;
        }
        if (records.length) this.pendingFirst = first;
        this.pending = [...records, ...this.pending];
        this.deps.logger.warn('could not record sub-calls of the cell in flight', { runId: this.log.runId, turn: this.log.turn, cell: this.cell, error: describeError(err) });
      }
    });
    return this.writing;
  }
}
