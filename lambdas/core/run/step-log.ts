/**
 * The recorded steps of the turn in progress (see `TurnStep`): what a retried RootTurn replays instead of
 * calling the root model again or running a cell again. Steps are appended with conditional puts
 * (sequence numbers 1, 2, ...); a step too large for one item is written as an artifact.
 */
import type { EngineDeps } from '../engine-deps';
import { isoNow } from '../engine-deps';
import type { CellRecord, SubCallEvent, SubCallStats, TurnStep } from '../types';
import { readJsonArtifact, spillIfOverBudget } from './spill';
import { replayedSubCalls } from './sub-call-journal';
import { RUN_ARTIFACT_KEYS } from '../bucket-layout';
import { writeWithRetries } from './write-retries';

export { STEP_WRITE_RETRY_DELAYS_MS, writeWithRetries } from './write-retries';

/** What the log says about one cell (1-based). */
export type CellStepState =
  | { state: 'new' }
  | { state: 'done'; record: CellRecord }
  /** Started and never finished: the invocation running it ended; its effects are unknown. */
  | { state: 'interrupted' };

type Reply = Extract<TurnStep, { kind: 'reply' }>;

/** The step log of one turn. */
export class StepLog {
  private constructor(
    private readonly deps: EngineDeps,
    readonly runId: string,
    readonly turn: number,
    private readonly steps: TurnStep[],
    private seq: number,
  ) {}

  /** Appends run one after another (the sub-call journal writes while a cell runs). */
  private queue: Promise<unknown> = Promise.resolve();

  /** Read the recorded steps of `turn` (spilled steps read back). */
  static async load(deps: EngineDeps, runId: string, turn: number): Promise<StepLog> {
    const stored = await deps.store.listSteps(runId, turn);
    const events = (await deps.store.listSubCallEvents?.(runId, turn)) ?? [];
    const steps: TurnStep[] = [];
    for (const s of stored) {
      steps.push(s.step.kind === 'spilled' ? await readJsonArtifact<TurnStep>(deps, s.step.uri) : s.step);
      // The sub-call log's events of an attempt go right after the attempt's `cell_started`.
      for (const e of events) if (e.attempt === s.seq) steps.push(withoutAttempt(e));
    }
    const seqs = new Set(stored.map((s) => s.seq));
    for (const e of events) if (!seqs.has(e.attempt)) steps.push(withoutAttempt(e));
    return new StepLog(deps, runId, turn, steps, stored.length ? stored[stored.length - 1].seq : 0);
  }

  /** Sequence number of the last step recorded (0 when none): after `cell_started`, the attempt's number. */
  get lastSeq(): number {
    return this.seq;
  }

  /** True when a session replaced a lost one in this turn and no cell recorded since has told the model. */
  sessionNoticeOwed(): boolean {
    let owed = false;
    for (const s of this.steps) {
      if (s.kind === 'session_replaced') owed = true;
      else if (s.kind === 'cell_done') owed = false;
    }
    return owed;
  }

  /** True when an earlier attempt recorded anything of this turn. */
  get resumed(): boolean {
    return this.steps.length > 0;
  }

  /** The recorded root reply, if any. */
  reply(): Reply | undefined {
    return this.steps.find((s): s is Reply => s.kind === 'reply');
  }

  /** The recorded fate of cell `cell` (1-based): the last step about it decides. */
  cell(cell: number): CellStepState {
    let state: CellStepState = { state: 'new' };
    for (const s of this.steps) {
      if (!('cell' in s) || s.cell !== cell) continue;
      if (s.kind === 'cell_done') state = { state: 'done', record: s.record };
      else if (s.kind === 'cell_started') state = { state: 'interrupted' };
      else if (s.kind === 'cell_not_run') state = { state: 'new' };
    }
    return state;
  }

  /**
   * The sub-calls recorded for cell `cell` (1-based) while it ran, by every attempt, those in flight
   * included: what an interrupted cell counts (a cell with a `cell_done` counts its own record instead).
   */
  subCallsOf(cell: number): SubCallStats {
    return replayedSubCalls(this.steps, cell);
  }

  /** Record a step (durably, before the caller goes on). A step over the item budget goes to an artifact. */
  append(step: TurnStep): Promise<void> {
    const next = this.queue.then(() => this.write(step));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(step: TurnStep): Promise<void> {
    const seq = this.seq + 1;
    const tag = `turn-${String(this.turn).padStart(4, '0')}-step-${String(seq).padStart(4, '0')}`;
    const uri = await spillIfOverBudget(this.deps, RUN_ARTIFACT_KEYS.step(this.runId, tag), step);
    const stored: TurnStep = uri ? { kind: 'spilled', at: isoNow(this.deps), uri } : step;
    await writeWithRetries(() => this.deps.store.putStep({ runId: this.runId, turn: this.turn, seq, step: stored }));
    this.seq = seq;
    this.steps.push(step);
  }
}

function withoutAttempt(e: SubCallEvent): TurnStep {
  const { attempt: _a, ...step } = e;
  return step;
}
