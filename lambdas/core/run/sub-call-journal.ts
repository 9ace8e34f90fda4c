/**
 * Durable sub-calls of the cell in flight: each sub-call's record, told by the sandbox as the call ends
 * (`CellExecOptions.onSubCallDone`), is appended to the turn's step log as a `sub_calls` step, batched per
 * `SUB_CALL_FLUSH_MS` (one write in flight at a time). A cell whose invocation dies before its `cell_done`
 * is written still counts the sub-calls it made, once: a replay reads them back for the interrupted cell
 * (`StepLog.subCallsOf`), while a recorded cell counts its own record and these steps are ignored.
 */
import { emptySubStats } from '../cell-report';
import { ConversationStoreError, describeError, DocumentError } from '../errors';
import { isoNow, type EngineDeps } from '../engine-deps';
import type { SubCallRecord, SubCallStats } from '../types';
import type { StepLog } from './step-log';

/** Largest delay between a sub-call ending and its record being written (ms). */
export const SUB_CALL_FLUSH_MS = 250;

/** A record as the step log keeps it: previews only (the whole prompt and reply stay with `cell_done`). */
function slim(record: SubCallRecord): SubCallRecord {
  const { prompt: _p, response: _r, ...rest } = record;
  return rest;
}

/** Sub-call stats of a list of ended sub-calls (each record is one call made). */
export function statsOf(records: SubCallRecord[]): SubCallStats {
  const sub = emptySubStats();
  for (const r of records) {
    sub.calls += 1;
    if (r.error) sub.errors += 1;
    sub.inputTokens += Math.max(0, r.inputTokens);
    sub.outputTokens += Math.max(0, r.outputTokens);
    sub.records.push(r);
  }
  return sub;
}

/** The journal of one cell's sub-calls. Create it before the cell runs; `drain()` when it ended. */
export class SubCallJournal {
  private readonly all: SubCallRecord[] = [];
  private pending: SubCallRecord[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failure: unknown;

  constructor(private readonly deps: EngineDeps, private readonly log: StepLog, private readonly cell: number) {}

  /** The listener to hand the sandbox (`CellExecOptions.onSubCallDone`). */
  readonly onSubCallDone = (record: SubCallRecord): void => {
    const kept = slim(record);
    this.all.push(kept);
    this.pending.push(kept);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, SUB_CALL_FLUSH_MS);
  };

  /** Every sub-call told so far (written or not). */
  stats(): SubCallStats {
    return statsOf(this.all);
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

  private flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.pending.length === 0 || this.failure !== undefined) return;
      const records = this.pending;
      this.pending = [];
      try {
        await this.log.append({ kind: 'sub_calls', at: isoNow(this.deps), cell: this.cell, records });
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
