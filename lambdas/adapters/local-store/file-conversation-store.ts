/**
 * `ConversationStore` as files on disk: the local runner's durable store. In-process (no SDK, no HTTP),
 * written as each step happens, with DynamoDB's conditional semantics:
 *
 * | item | file                                     | written by                                   |
 * |------|------------------------------------------|----------------------------------------------|
 * | run  | `<dir>/<runId>/run/00000001.json`, ...   | createRun (version 1 only if absent), each update the next version only if absent |
 * | turn | `<dir>/<runId>/turns/00001.json`         | putTurn (only if absent)                     |
 * | step | `<dir>/<runId>/steps/00001/0001.json`    | putStep (only if absent)                     |
 * | sub-call log | `<dir>/<runId>/steps/00001/sub-calls.jsonl` | openSubCallLog: one line per event (sub-call-log-file.ts) |
 *
 * "Only if absent" is a hard link of a fully written temporary file onto the name (`EEXIST` = the
 * condition failed), so a reader never sees a half-written item and a killed process leaves either the
 * whole item or none. The run item is versioned (run-item-files.ts): the highest version is the item, an
 * update links the next version (`EEXIST` = someone else updated first) and removes the one before. File
 * I/O is synchronous (item-files.ts: microseconds per item, and a read-check-write cannot interleave with
 * another in this process, so conditional updates need no lock). One process writes a run at a time.
 *
 * Reads are served from memory where that is provably current, so a turn costs the same at turn 30 as
 * at turn 3: turn and step items never change once written, so each is parsed once (a directory listing
 * still finds items another process wrote); the run item is parsed again only when a listing of its
 * versions shows a version this process did not write or read. The cache keeps the most recently used
 * runs only ({@link CACHED_RUNS}). Callers get fresh top-level copies.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, RunNotFoundError, RunStateConflictError, StepAlreadyRecordedError, TurnAlreadyRecordedError } from '../../core/errors';
import type { ConversationStore, RunOutcome, RunProgress } from '../../core/ports';
import type { RunRecord, SubCallEvent, TurnRecord, TurnStepRecord } from '../../core/types';
import { readSubCallLog, SUB_CALL_LOG_FILE, SubCallLogFile } from './sub-call-log-file';
import { createIfAbsent, itemNames, readJsonFile } from './item-files';
import { createRunItem, readCurrentRun, writeRunVersion } from './run-item-files';
import { isValidRunId, runIdProblem } from '../../core/bucket-layout';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** How many runs' items one store keeps parsed in memory (least recently used dropped first). */
export const CACHED_RUNS = 16;

/** What this process knows of one run's files. */
interface RunCache {
  run?: { version: number; value: RunRecord };
  /** Parsed immutable items by directory, then file name. */
  items: Map<string, Map<string, unknown>>;
}

/** The conversation store in a directory (created on demand). */
export class FileConversationStore implements ConversationStore {
  private readonly dir: string;
  private readonly cache = new Map<string, RunCache>();

  constructor(options: { dir: string }) {
    this.dir = path.resolve(options.dir);
  }

  /** Directory of one run's files. */
  runDir(runId: string): string {
    if (!isValidRunId(runId)) throw new InvalidInputError(runIdProblem(runId));
    return path.join(this.dir, runId);
  }

  /** The cache entry of a run, marked most recently used. */
  private cacheOf(runId: string): RunCache {
    let entry = this.cache.get(runId);
    if (entry) this.cache.delete(runId);
    else entry = { items: new Map() };
    this.cache.set(runId, entry);
    if (this.cache.size > CACHED_RUNS) this.cache.delete(this.cache.keys().next().value as string);
    return entry;
  }

  /** The run item as on disk now with its version (undefined when absent), parsed only when the version is new. */
  private currentRun(runId: string): { version: number; value: RunRecord } | undefined {
    const entry = this.cacheOf(runId);
    entry.run = readCurrentRun(this.runDir(runId), entry.run);
    return entry.run;
  }

  /**
   * Read-check-write the run item: `update` gets a copy and returns the new record or an error to throw.
   * Synchronous, so nothing else in this process runs in between; a version written meanwhile by another
   * process makes the write fail as a conflict.
   */
  private updateRun(runId: string, update: (run: RunRecord) => RunRecord | Error): void {
    const current = this.currentRun(runId);
    if (!current) throw new RunNotFoundError(`run ${runId} not found in ${this.dir}`);
    const updated = update({ ...current.value });
    if (updated instanceof Error) throw updated;
    const json = JSON.stringify(updated);
    if (!writeRunVersion(this.runDir(runId), current.version, json)) {
      throw new RunStateConflictError(`run ${runId} was updated by another writer at the same time (version ${current.version + 1} exists)`);
    }
    this.cacheOf(runId).run = { version: current.version + 1, value: JSON.parse(json) as RunRecord };
  }

  /** Create an immutable item; false when it exists. The cache holds what was written, as parsed back. */
  private putItem(runId: string, dir: string, name: string, value: unknown): boolean {
    const json = JSON.stringify(value);
    if (!createIfAbsent(path.join(dir, name), json)) return false;
    this.itemsOf(runId, dir).set(name, JSON.parse(json));
    return true;
  }

  private itemsOf(runId: string, dir: string): Map<string, unknown> {
    const entry = this.cacheOf(runId);
    let items = entry.items.get(dir);
    if (!items) entry.items.set(dir, (items = new Map()));
    return items;
  }

  /** Every item of `dir`, in file-name order, each file parsed once per process. */
  private listItems<T>(runId: string, dir: string): T[] {
    const items = this.itemsOf(runId, dir);
    const out: T[] = [];
    for (const name of itemNames(dir)) {
      let item = items.get(name);
      if (item === undefined) {
        item = readJsonFile<T>(path.join(dir, name));
        if (item === undefined) continue;
        items.set(name, item);
      }
      out.push({ ...(item as T) });
    }
    return out;
  }

  /** @inheritdoc */
  async createRun(run: RunRecord): Promise<void> {
    const json = JSON.stringify(run);
    if (!createRunItem(this.runDir(run.runId), json)) throw new RunStateConflictError(`run ${run.runId} already exists`);
    this.cacheOf(run.runId).run = { version: 1, value: JSON.parse(json) as RunRecord };
  }

  /** @inheritdoc */
  async getRun(runId: string): Promise<RunRecord> {
    const run = this.currentRun(runId);
    if (!run) throw new RunNotFoundError(`run ${runId} not found in ${this.dir}`);
    return { ...run.value };
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
        return readCurrentRun<RunRecord>(path.join(this.dir, n))?.value;
      } catch {
        return undefined;
      }
    }).filter((r): r is RunRecord => Boolean(r));
    return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((r) => r.runId);
  }

  /** @inheritdoc */
  async setSandboxSession(runId: string, sessionId: string): Promise<void> {
    this.updateRun(runId, (run) => ({ ...run, sandboxSessionId: sessionId }));
  }

  /** @inheritdoc */
  async putTurn(turn: TurnRecord): Promise<void> {
    if (!this.putItem(turn.runId, this.turnsDir(turn.runId), `${pad(turn.index, 5)}.json`, turn)) {
      throw new TurnAlreadyRecordedError(`turn ${turn.index} of run ${turn.runId} is already recorded`);
    }
  }

  private turnsDir(runId: string): string {
    return path.join(this.runDir(runId), 'turns');
  }

  private stepsDir(runId: string, turn: number): string {
    return path.join(this.runDir(runId), 'steps', pad(turn, 5));
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
    return this.listItems<TurnRecord>(runId, this.turnsDir(runId)).sort((a, b) => a.index - b.index);
  }

  /** @inheritdoc */
  async putStep(step: TurnStepRecord): Promise<void> {
    if (!Number.isInteger(step.seq) || step.seq < 1 || step.seq > 9999) throw new InvalidInputError(`step seq must be 1..9999, got ${step.seq}`);
    if (!this.putItem(step.runId, this.stepsDir(step.runId, step.turn), `${pad(step.seq, 4)}.json`, step)) {
      throw new StepAlreadyRecordedError(`step ${step.seq} of turn ${step.turn} of run ${step.runId} is already recorded`);
    }
  }

  /** @inheritdoc */
  async listSteps(runId: string, turn: number): Promise<TurnStepRecord[]> {
    return this.listItems<TurnStepRecord>(runId, this.stepsDir(runId, turn)).sort((a, b) => a.seq - b.seq);
  }

  /** @inheritdoc */
  openSubCallLog(runId: string, turn: number): SubCallLogFile {
    return new SubCallLogFile(path.join(this.stepsDir(runId, turn), SUB_CALL_LOG_FILE));
  }

  /** @inheritdoc */
  async listSubCallEvents(runId: string, turn: number): Promise<SubCallEvent[]> {
    return readSubCallLog(path.join(this.stepsDir(runId, turn), SUB_CALL_LOG_FILE));
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
