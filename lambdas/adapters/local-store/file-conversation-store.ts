/**
 * `ConversationStore` as files on disk: the local runner's durable store. In-process (no SDK, no HTTP),
 * written as each step happens, with DynamoDB's conditional semantics. Each run is one append-only file,
 * `<dir>/<runId>/items.jsonl` (run-journal.ts): every run item version, turn and step is one line appended
 * by one `write()`, and the first line of each key wins, which makes "only if absent" and the run item's
 * compare-and-swap hold across processes; a killed process leaves every completed write on disk.
 * Each turn's sub-call log is a separate append-only file, `<dir>/<runId>/sub-calls/<turn>.jsonl`
 * (openSubCallLog, sub-call-log-file.ts): one line per sub-call event, written before the call's request leaves.
 *
 * Reads are served from memory where that is provably current, so a turn costs the same at turn 30 as
 * at turn 3: each open journal is read once and then only what was appended since (one `fstat` tells),
 * by this process or another (`rlm view`, a resume). The cache keeps the most recently used runs'
 * journals open ({@link CACHED_RUNS}). Callers get fresh top-level copies.
 *
 * Runs recorded with a file per item (legacy-layout.ts) are read as they are; their first write creates
 * their journal from those items (hard-linked into place only if absent, so two importers agree).
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, RunNotFoundError, RunStateConflictError, sessionOnEndedRunError, StepAlreadyRecordedError, TurnAlreadyRecordedError } from '../../core/errors';
import type { ConversationStore, RunOutcome, RunProgress } from '../../core/ports';
import type { RunRecord, SubCallEvent, TurnRecord, TurnStepRecord } from '../../core/types';
import { createIfAbsent } from './item-files';
import { readLegacyItems, readLegacyRun } from './legacy-layout';
import { JOURNAL_FILE, readJournalRun, RunJournal } from './run-journal';
import { readSubCallLog, SubCallLogFile } from './sub-call-log-file';
import { isValidRunId, runIdProblem } from '../../core/bucket-layout';

/** How many runs' journals one store keeps open and parsed in memory (least recently used closed first). */
export const CACHED_RUNS = 16;

/** The conversation store in a directory (created on demand). */
export class FileConversationStore implements ConversationStore {
  private readonly dir: string;
  private readonly journals = new Map<string, RunJournal>();

  constructor(options: { dir: string }) {
    this.dir = path.resolve(options.dir);
  }

  /** Directory of one run's files. */
  runDir(runId: string): string {
    if (!isValidRunId(runId)) throw new InvalidInputError(runIdProblem(runId));
    return path.join(this.dir, runId);
  }

  /** The sub-call log of one turn (its own append-only file, beside the run's journal). */
  private subCallLogPath(runId: string, turn: number): string {
    return path.join(this.runDir(runId), 'sub-calls', `${String(turn).padStart(5, '0')}.jsonl`);
  }


  /**
   * The run's journal, current (what was appended since the last read applied), or undefined when the run
   * has nothing recorded. `forWrite`: create it when absent, or from the items of an older layout.
   */
  private journal(runId: string, forWrite: boolean): RunJournal | undefined {
    let journal = this.journals.get(runId);
    if (journal) {
      this.journals.delete(runId);
      journal.refresh();
      if (journal.gone) journal = undefined;
    }
    // Items of an older layout are looked at again each time: another process may have imported them meanwhile.
    if (!journal || journal.readOnlyImport) journal = this.openJournal(runId, forWrite);
    if (!journal) return undefined;
    this.journals.set(runId, journal);
    if (this.journals.size > CACHED_RUNS) {
      const oldest = this.journals.keys().next().value as string;
      this.journals.get(oldest)?.close();
      this.journals.delete(oldest);
    }
    return journal;
  }

  private openJournal(runId: string, forWrite: boolean): RunJournal | undefined {
    const runDir = this.runDir(runId);
    const file = path.join(runDir, JOURNAL_FILE);
    const existing = RunJournal.open(file);
    if (existing) return existing;
    const legacy = readLegacyItems(runDir);
    if (legacy && !forWrite) return RunJournal.inMemory(file, legacy);
    if (legacy) createIfAbsent(file, RunJournal.linesOf(legacy)); // EEXIST: another process imported it first
    return forWrite ? RunJournal.create(file) : undefined;
  }

  /** The current run item, or RunNotFoundError. */
  private currentRun(runId: string, forWrite = false): { journal: RunJournal; run: { version: number; value: RunRecord } } {
    let journal = this.journal(runId, false);
    if (!journal?.run) throw new RunNotFoundError(`run ${runId} not found in ${this.dir}`);
    if (forWrite && journal.readOnlyImport) journal = this.journal(runId, true)!;
    if (!journal.run) throw new RunNotFoundError(`run ${runId} not found in ${this.dir}`);
    return { journal, run: journal.run };
  }

  /**
   * Read-check-write the run item: `update` gets a copy and returns the new record or an error to throw.
   * Synchronous, so nothing else in this process runs in between; a version written meanwhile by another
   * process comes first in the journal and makes this write a conflict.
   */
  private updateRun(runId: string, update: (run: RunRecord) => RunRecord | Error): void {
    const { journal, run } = this.currentRun(runId, true);
    const updated = update({ ...run.value });
    if (updated instanceof Error) throw updated;
    if (!journal.append({ k: 'run', v: run.version + 1, item: updated })) {
      throw new RunStateConflictError(`run ${runId} was updated by another writer at the same time (version ${run.version + 1} exists)`);
    }
  }

  /** @inheritdoc */
  async createRun(run: RunRecord): Promise<void> {
    if (this.journal(run.runId, false)?.run) throw new RunStateConflictError(`run ${run.runId} already exists`);
    const journal = this.journal(run.runId, true)!;
    if (journal.run || !journal.append({ k: 'run', v: 1, item: run })) throw new RunStateConflictError(`run ${run.runId} already exists`);
  }

  /** @inheritdoc */
  async getRun(runId: string): Promise<RunRecord> {
    return { ...this.currentRun(runId).run.value };
  }

  /** Run IDs with a run item in this store (newest first by creation time). */
  async listRunIds(): Promise<string[]> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const runs = names.map((n) => {
      try {
        return (readJournalRun(path.join(this.dir, n, JOURNAL_FILE)) ?? readLegacyRun(path.join(this.dir, n)))?.value;
      } catch {
        return undefined;
      }
    }).filter((r): r is RunRecord => Boolean(r));
    return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((r) => r.runId);
  }

  /** @inheritdoc */
  async setSandboxSession(runId: string, sessionId: string): Promise<void> {
    this.updateRun(runId, (run) => (run.status === 'running' ? { ...run, sandboxSessionId: sessionId } : sessionOnEndedRunError(runId, run.status)));
  }

  /** @inheritdoc */
  async putTurn(turn: TurnRecord): Promise<void> {
    const journal = this.journal(turn.runId, true)!;
    if (journal.hasTurn(turn.index) || !journal.append({ k: 'turn', item: turn })) {
      throw new TurnAlreadyRecordedError(`turn ${turn.index} of run ${turn.runId} is already recorded`);
    }
  }

  /** @inheritdoc */
  async advanceRun(runId: string, fromIterations: number, progress: RunProgress): Promise<void> {
    this.updateRun(runId, (run) => {
      if (run.status === 'running' && run.iterations === fromIterations) return { ...run, ...progress };
      return new RunStateConflictError(
        `cannot advance run ${runId} from iteration ${fromIterations} to ${progress.iterations}: it is ${run.status} at iteration ${run.iterations}` +
          (run.status === 'running' ? ' (another attempt already advanced it)' : ' (the run has ended)'),
      );
    });
  }

  /** @inheritdoc */
  async listTurns(runId: string): Promise<TurnRecord[]> {
    return (this.journal(runId, false)?.listTurns() ?? []).map((t) => ({ ...t }));
  }

  /** @inheritdoc */
  async putStep(step: TurnStepRecord): Promise<void> {
    if (!Number.isInteger(step.seq) || step.seq < 1 || step.seq > 9999) throw new InvalidInputError(`step seq must be 1..9999, got ${step.seq}`);
    const journal = this.journal(step.runId, true)!;
    if (journal.hasStep(step.turn, step.seq) || !journal.append({ k: 'step', item: step })) {
      throw new StepAlreadyRecordedError(`step ${step.seq} of turn ${step.turn} of run ${step.runId} is already recorded`);
    }
  }

  /** @inheritdoc */
  async listSteps(runId: string, turn: number): Promise<TurnStepRecord[]> {
    return (this.journal(runId, false)?.listSteps(turn) ?? []).map((s) => ({ ...s }));
  }

  /** @inheritdoc */
  openSubCallLog(runId: string, turn: number): SubCallLogFile {
    return new SubCallLogFile(this.subCallLogPath(runId, turn));
  }

  /** @inheritdoc */
  async listSubCallEvents(runId: string, turn: number): Promise<SubCallEvent[]> {
    return readSubCallLog(this.subCallLogPath(runId, turn));
  }

  /** @inheritdoc */
  async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    this.updateRun(runId, (run) => {
      if (run.status === 'running') return { ...run, ...outcome };
      return new RunStateConflictError(`cannot finish run ${runId} as ${outcome.status}: it already ended as ${run.status}${run.stopReason ? ` (${run.stopReason})` : ''}`);
    });
  }

  /** @inheritdoc */
  async reopenRun(runId: string, updatedAt: string): Promise<void> {
    this.updateRun(runId, (run) => {
      if (run.status === 'running' || run.status === 'succeeded') {
        return new RunStateConflictError(`cannot reopen run ${runId}: it is ${run.status} (only a failed or cancelled run can be resumed)`);
      }
      const { stopReason: _s, stopDetail: _d, error: _e, answer: _a, answerUri: _u, ...rest } = run;
      return { ...rest, status: 'running', updatedAt };
    });
  }
}
