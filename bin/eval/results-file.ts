/**
 * The append-only `results.jsonl` of an evaluation: one JSON line per finished question, written (and
 * flushed) as each question finishes, so a crash loses nothing finished and a re-run resumes.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../lambdas/core/errors';
import type { EvalApproach, QuestionResult } from '../../lambdas/core/eval';

/** What an existing results file held. */
export interface LoadedResults {
  /** The last result per question ID (a re-run with `--retry-failed` appends a newer line). */
  byId: Map<string, QuestionResult>;
  /** Lines dropped from the end because a crash cut them off mid-write. */
  tornLines: number;
}

/** Named error: the results file is not this harness's, or mixes approaches. */
export class ResultsFileError extends ConfigError {}

/**
 * Read `file` if it exists. A last line cut off by a crash (no newline, not JSON) is removed from the
 * file so appends stay line-aligned; a bad line anywhere else is an error. Lines of another approach are
 * refused (one output directory per approach).
 */
export function loadResults(file: string, approach: EvalApproach): LoadedResults {
  const byId = new Map<string, QuestionResult>();
  if (!existsSync(file)) return { byId, tornLines: 0 };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  let tornLines = 0;
  let validBytes = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const isLast = i === lines.length - 1;
    if (!line.trim()) {
      if (!isLast) validBytes += Buffer.byteLength(line) + 1;
      continue;
    }
    let value: QuestionResult;
    try {
      value = JSON.parse(line) as QuestionResult;
    } catch (err) {
      if (isLast) { tornLines = 1; break; }
      throw new ResultsFileError(`${file} line ${i + 1} is not valid JSON (${(err as Error).message}); fix or move the file`, { cause: err });
    }
    if (typeof value?.id !== 'string') throw new ResultsFileError(`${file} line ${i + 1} has no "id"`);
    if (value.approach !== approach) {
      throw new ResultsFileError(`${file} holds results of approach "${value.approach}", not "${approach}"; use another --out directory`);
    }
    byId.set(value.id, value);
    validBytes += Buffer.byteLength(line) + (isLast ? 0 : 1);
  }
  if (tornLines) truncateSync(file, validBytes);
  else if (text.length > 0 && !text.endsWith('\n')) appendFileSync(file, '\n');
  return { byId, tornLines };
}

/** The order of the fields in a line: the documented ones first, then the extras. */
export const RESULT_FIELD_ORDER = [
  'id', 'approach', 'success', 'predicted', 'gold', 'correct', 'rootTokens', 'subTokens', 'costUsd', 'latencyMs',
  'iterations', 'error', 'domain', 'subDomain', 'difficulty', 'length',
] as const;

/** A copy of `result` with its keys in {@link RESULT_FIELD_ORDER} (then the rest as they were). */
export function orderFields(result: QuestionResult): QuestionResult {
  const out: Record<string, unknown> = {};
  for (const k of RESULT_FIELD_ORDER) out[k] = result[k];
  for (const [k, v] of Object.entries(result)) if (!(k in out)) out[k] = v;
  return out as unknown as QuestionResult;
}

/** Appends results one line at a time (synchronously: the line is in the file before the next question starts). */
export class ResultsWriter {
  /** @param file path of results.jsonl (its directory is created). */
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  /** Append one result as one line (the documented fields first, in a fixed order). */
  append(result: QuestionResult): void {
    appendFileSync(this.file, JSON.stringify(orderFields(result)) + '\n');
  }
}
