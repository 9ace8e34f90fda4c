/**
 * Reading a local run back from its artifacts (`<state>/results/<runId>/trajectory.json`, `result.json`)
 * without depending on the conversation store, tolerating a run that left only part of them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../../lambdas/core/errors';
import type { RunRecord, RunSummary, TurnRecord } from '../../lambdas/core/types';
import { RUN_ARTIFACT_FILES } from '../../lambdas/core/bucket-layout';

/** `result.json` as FinalizeRun/RecordFailure write it: the summary plus the question. */
export type ResultFile = RunSummary & { question?: string };

/** Everything known about one run from its files. Any part may be missing. */
export interface LoadedRun {
  runId: string;
  /** The run folder (or the folder of the trajectory file given). */
  dir: string;
  run?: RunRecord;
  turns: TurnRecord[];
  result?: ResultFile;
  /** Problems met while reading (unreadable or cut-off files), shown to the user rather than thrown. */
  problems: string[];
  /** Modification time of the newest file read (epoch ms), for "age". */
  mtimeMs: number;
}

/** Where a state directory keeps run folders. */
export function resultsDirOf(stateDir: string): string {
  return path.join(path.resolve(stateDir), 'results');
}

function readJson(file: string, problems: string[]): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${path.basename(file)}: cannot be read (${(err as Error).message})`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    problems.push(`${path.basename(file)}: not valid JSON, perhaps cut off while being written (${(err as Error).message})`);
    return undefined;
  }
}

function isTurn(value: unknown): value is TurnRecord {
  const t = value as TurnRecord;
  return !!t && typeof t === 'object' && typeof t.index === 'number' && Array.isArray(t.cells);
}

/** Read one run folder (or a trajectory.json file). Never throws for damaged content: see `problems`. */
export function loadRunDir(target: string): LoadedRun {
  const isFile = statSync(target).isFile();
  const dir = isFile ? path.dirname(target) : target;
  const trajectoryFile = isFile ? target : path.join(dir, RUN_ARTIFACT_FILES.trajectory);
  const resultFile = path.join(dir, RUN_ARTIFACT_FILES.result);
  const problems: string[] = [];
  let mtimeMs = 0;
  let run: RunRecord | undefined;
  let turns: TurnRecord[] = [];
  if (existsSync(trajectoryFile)) {
    mtimeMs = Math.max(mtimeMs, statSync(trajectoryFile).mtimeMs);
    const t = readJson(trajectoryFile, problems) as { run?: RunRecord; turns?: unknown[] } | undefined;
    if (t && typeof t === 'object') {
      if (t.run && typeof t.run === 'object') run = t.run;
      const raw = Array.isArray(t.turns) ? t.turns : [];
      turns = raw.filter(isTurn).sort((a, b) => a.index - b.index);
      if (raw.length !== turns.length) problems.push(`trajectory.json: ${raw.length - turns.length} turn record(s) unreadable and skipped`);
    }
  } else if (!isFile) {
    problems.push('no trajectory.json: the run has not finished (or was killed before writing it); only the result is shown');
  }
  let result: ResultFile | undefined;
  if (!isFile && existsSync(resultFile)) {
    mtimeMs = Math.max(mtimeMs, statSync(resultFile).mtimeMs);
    result = readJson(resultFile, problems) as ResultFile | undefined;
  }
  const runId = run?.runId ?? result?.runId ?? path.basename(dir);
  if (!mtimeMs) mtimeMs = statSync(dir).mtimeMs;
  return { runId, dir, ...(run ? { run } : {}), turns, ...(result ? { result } : {}), problems, mtimeMs };
}

/** A run folder looks like one when it holds a trajectory.json or a result.json. */
export function isRunDir(dir: string): boolean {
  return existsSync(path.join(dir, RUN_ARTIFACT_FILES.trajectory)) || existsSync(path.join(dir, RUN_ARTIFACT_FILES.result));
}

/**
 * Resolve `RUN_ID|PATH`: an existing run folder or trajectory file, else a run ID under
 * `<stateDir>/results/`. Throws `InvalidInputError` naming what was looked for.
 */
export function findRun(ref: string, stateDir: string): string {
  if (existsSync(ref)) {
    if (statSync(ref).isFile() || isRunDir(ref)) return path.resolve(ref);
    throw new InvalidInputError(`${ref} is a folder without trajectory.json or result.json (nor a batch/eval folder with results.jsonl)`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(ref)) throw new InvalidInputError(`"${ref}" is neither an existing path nor a run ID`);
  const dir = path.join(resultsDirOf(stateDir), ref);
  if (!existsSync(dir)) throw new InvalidInputError(`no run "${ref}" in ${resultsDirOf(stateDir)} (rlm list shows the local runs; --state-dir DIR looks elsewhere)`);
  return dir;
}

/** Every run folder under a state dir, newest first. */
export function listRunDirs(stateDir: string): string[] {
  const root = resultsDirOf(stateDir);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isRunDir(path.join(root, e.name)))
    .map((e) => path.join(root, e.name));
}
