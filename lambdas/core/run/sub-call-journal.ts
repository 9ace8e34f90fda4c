/**
 * Durable sub-calls of the cell in flight: each sub-call's record, told by the sandbox as the call ends
 * (`CellExecOptions.onSubCallDone`), and how many calls the cell has started (from `onSubCalls`), are
 * appended to the turn's step log as `sub_calls` steps, batched per `SUB_CALL_FLUSH_MS` (one write in
 * flight at a time) and written before `cell_done`. A cell whose invocation dies before its `cell_done`
 * still counts the sub-calls it made, once: a replay reads them back for the interrupted cell
 * (`replayedSubCalls`), a call that was in flight counting as an unfinished error (as the host ledger
 * counts it); a recorded cell counts its own record and these steps are ignored.
 */
import { emptySubStats } from '../cell-report';
import { ConversationStoreError, describeError, DocumentError } from '../errors';
import { isoNow, type EngineDeps } from '../engine-deps';
import type { SubCallProgress } from '../ports';
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
 * with its `cell_started`): its ended calls, and those started but never reported ended.
 */
export function replayedSubCalls(steps: readonly TurnStep[], cell: number): SubCallStats {
  const ended: SubCallRecord[] = [];
  let unfinished = 0;
  let attempt = { started: 0, ended: 0 };
  const close = () => (unfinished += Math.max(0, attempt.started - attempt.ended));
  for (const s of steps) {
    if (!('cell' in s) || s.cell !== cell) continue;
    if (s.kind === 'cell_started') {
      close();
      attempt = { started: 0, ended: 0 };
    } else if (s.kind === 'sub_calls') {
      ended.push(...s.records);
      attempt.ended += s.records.length;
      attempt.started = Math.max(attempt.started, s.started ?? 0);
    }
  }
  close();
  return statsOf(ended, unfinished);
}

/** The journal of one cell's sub-calls. Create it before the cell runs; `drain()` when it ended. */
export class SubCallJournal {
  private readonly all: SubCallRecord[] = [];
  private pending: SubCallRecord[] = [];
  private started = 0;
  private startedWritten = 0;
  private writing: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failure: unknown;

  constructor(private readonly deps: EngineDeps, private readonly log: StepLog, private readonly cell: number) {}

  /** The listener for `CellExecOptions.onSubCallDone`. */
  readonly onSubCallDone = (record: SubCallRecord): void => {
    const kept = slim(record);
    this.all.push(kept);
    this.pending.push(kept);
    this.started = Math.max(this.started, this.all.length);
    this.schedule();
  };

  /** Feed `CellExecOptions.onSubCalls` progress here: calls started = in flight + done. */
  progress(p: SubCallProgress): void {
    const started = p.inFlight + p.done;
    if (started <= this.started) return;
    this.started = started;
    this.schedule();
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.failure !== undefined) throw this.failure;
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
      const started = this.started;
      this.pending = [];
      try {
        await this.log.append({ kind: 'sub_calls', at: isoNow(this.deps), cell: this.cell, records, started });
        this.startedWritten = Math.max(this.startedWritten, started);
      } catch (err) {
        // Only the store's own errors are absorbed (after the step log's retries): the records are kept
        // for the next write, and the cell's own record (cell_done) still counts them if it is written.
        // Anything else (the invocation is going down) surfaces at drain().
        if (!(err instanceof ConversationStoreError || err instanceof DocumentError)) {
          this.failure ??= err;
          return;
        }
        this.pending = [...records, ...this.pending];
        this.deps.logger.warn('could not record sub-calls of the cell in flight', { runId: this.log.runId, turn: this.log.turn, cell: this.cell, error: describeError(err) });
      }
    });
    return this.writing;
  }
}
