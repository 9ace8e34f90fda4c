/**
 * `ConversationStore` as files on disk: the local runner's durable store. In-process (no SDK, no HTTP),
 * written as each step happens, with DynamoDB's conditional semantics:
 *
 * | item | file                                     | written by                                   |
 * |------|------------------------------------------|----------------------------------------------|
 * | run  | `<dir>/<runId>/run.json`                 | createRun (only if absent), then replaced atomically under a per-run lock |
 * | turn | `<dir>/<runId>/turns/00001.json`         | putTurn (only if absent)                     |
 * | step | `<dir>/<runId>/steps/00001/0001.json`    | putStep (only if absent)                     |
 *
 * "Only if absent" is a hard link of a fully written temporary file onto the name (`EEXIST` = the
 * condition failed), so a reader never sees a half-written item and a killed process leaves either the
 * whole item or none. Updates of the run item are a rename of a fully written temporary file. One process
 * writes a run at a time (the local engine); conditional updates are serialized per run in-process.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError, RunNotFoundError, RunStateConflictError, StepAlreadyRecordedError, TurnAlreadyRecordedError } from '../../core/errors';
import type { ConversationStore, RunOutcome, RunProgress } from '../../core/ports';
import type { RunRecord, TurnRecord, TurnStepRecord } from '../../core/types';
import { isValidRunId, runIdProblem } from '../../core/bucket-layout';

const pad = (n: number, width: number) => String(n).padStart(width, '0');
let tmpCounter = 0;

/** The conversation store in a directory (created on demand). */
export class FileConversationStore implements ConversationStore {
  private readonly dir: string;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(options: { dir: string }) {
    this.dir = path.resolve(options.dir);
  }

  /** Directory of one run's files. */
  runDir(runId: string): string {
    if (!isValidRunId(runId)) throw new InvalidInputError(runIdProblem(runId));
    return path.join(this.dir, runId);
  }

  private runFile(runId: string): string {
    return path.join(this.runDir(runId), 'run.json');
  }

  /** Write `value` as JSON to a temporary file next to `target`; returns its path. */
  private async writeTemp(target: string, value: unknown): Promise<string> {
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${++tmpCounter}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(value));
    return tmp;
  }

  /** Create `target` with `value` only if it does not exist; returns false when it did. */
  private async createIfAbsent(target: string, value: unknown): Promise<boolean> {
    const tmp = await this.writeTemp(target, value);
    try {
      await fs.link(tmp, target);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
  }

  private async readJson<T>(file: string): Promise<T | undefined> {
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Every JSON item in `dir`, parsed, in file-name order. */
  private async readAll<T>(dir: string): Promise<T[]> {
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: T[] = [];
    for (const name of names) {
      const item = await this.readJson<T>(path.join(dir, name));
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  /** Read-check-write the run item under the run's lock; `update` returns the new record or an error to throw. */
  private async updateRun(runId: string, update: (run: RunRecord) => RunRecord | Error): Promise<void> {
    const previous = this.locks.get(runId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const file = this.runFile(runId);
      const run = await this.readJson<RunRecord>(file);
      if (!run) throw new RunNotFoundError(`run ${runId} not found in ${this.dir}`);
      const updated = update(run);
      if (updated instanceof Error) throw updated;
      const tmp = await this.writeTemp(file, updated);
      await fs.rename(tmp, file);
    });
    this.locks.set(runId, next);
    try {
      await next;
    } finally {
      if (this.locks.get(runId) === next) this.locks.delete(runId);
    }
  }

  /** @inheritdoc */
  async createRun(run: RunRecord): Promise<void> {
    if (!(await this.createIfAbsent(this.runFile(run.runId), run))) throw new RunStateConflictError(`run ${run.runId} already exists`);
  }

  /** @inheritdoc */
  async getRun(runId: string): Promise<RunRecord> {
    const run = await this.readJson<RunRecord>(this.runFile(runId));
    if (!run) throw new RunNotFoundError(`run ${runId} not found in ${this.dir}`);
    return run;
  }

  /** Run IDs with a run item in this store (newest first by creation time). */
  async listRunIds(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const runs = (await Promise.all(names.map((n) => this.readJson<RunRecord>(path.join(this.dir, n, 'run.json')).catch(() => undefined))))
      .filter((r): r is RunRecord => Boolean(r));
    return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((r) => r.runId);
  }

  /** @inheritdoc */
  async setSandboxSession(runId: string, sessionId: string): Promise<void> {
    await this.updateRun(runId, (run) => ({ ...run, sandboxSessionId: sessionId }));
  }

  /** @inheritdoc */
  async putTurn(turn: TurnRecord): Promise<void> {
    const file = path.join(this.runDir(turn.runId), 'turns', `${pad(turn.index, 5)}.json`);
    if (!(await this.createIfAbsent(file, turn))) {
      throw new TurnAlreadyRecordedError(`turn ${turn.index} of run ${turn.runId} is already recorded`);
    }
  }

  /** @inheritdoc */
  async advanceRun(runId: string, fromIterations: number, progress: RunProgress): Promise<void> {
    await this.updateRun(runId, (run) => {
      if (run.status === 'running' && run.iterations === fromIterations) return { ...run, ...progress };
      return new RunStateConflictError(
        `cannot advance run ${runId} from iteration ${fromIterations} to ${progress.iterations}: it is ${run.status} at iteration ${run.iterations}` +
          (run.status === 'running' ? ' (another attempt already advanced it)' : ' (the run has ended)'),
      );
    });
  }

  /** @inheritdoc */
  async listTurns(runId: string): Promise<TurnRecord[]> {
    const turns = await this.readAll<TurnRecord>(path.join(this.runDir(runId), 'turns'));
    return turns.sort((a, b) => a.index - b.index);
  }

  /** @inheritdoc */
  async putStep(step: TurnStepRecord): Promise<void> {
    if (!Number.isInteger(step.seq) || step.seq < 1 || step.seq > 9999) throw new InvalidInputError(`step seq must be 1..9999, got ${step.seq}`);
    const file = path.join(this.runDir(step.runId), 'steps', pad(step.turn, 5), `${pad(step.seq, 4)}.json`);
    if (!(await this.createIfAbsent(file, step))) {
      throw new StepAlreadyRecordedError(`step ${step.seq} of turn ${step.turn} of run ${step.runId} is already recorded`);
    }
  }

  /** @inheritdoc */
  async listSteps(runId: string, turn: number): Promise<TurnStepRecord[]> {
    const steps = await this.readAll<TurnStepRecord>(path.join(this.runDir(runId), 'steps', pad(turn, 5)));
    return steps.sort((a, b) => a.seq - b.seq);
  }

  /** @inheritdoc */
  async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    await this.updateRun(runId, (run) => {
      if (run.status === 'running') return { ...run, ...outcome };
      return new RunStateConflictError(`cannot finish run ${runId} as ${outcome.status}: it already ended as ${run.status}${run.stopReason ? ` (${run.stopReason})` : ''}`);
    });
  }

  /** @inheritdoc */
  async reopenRun(runId: string, updatedAt: string): Promise<void> {
    await this.updateRun(runId, (run) => {
      if (run.status === 'running' || run.status === 'succeeded') {
        return new RunStateConflictError(`cannot reopen run ${runId}: it is ${run.status} (only a failed or cancelled run can be resumed)`);
      }
      const { stopReason: _s, stopDetail: _d, error: _e, answer: _a, answerUri: _u, ...rest } = run;
      return { ...rest, status: 'running', updatedAt };
    });
  }
}
