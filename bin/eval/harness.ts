/**
 * The evaluation loop: select records, skip the ones already in `results.jsonl`, answer the rest with
 * bounded concurrency (each result appended as it finishes), then write `summary.json` / `summary.md`.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  EvalAbortedError, QuestionDeferredError, renderSummaryMarkdown, subsetOf, summarizeResults,
  type EvalApproach, type EvalSubset, type EvalSummary, type LongBenchRecord, type QuestionResult,
} from '../../lambdas/core/eval';
import { mapWithConcurrency } from '../../lambdas/core/batch/pool';
import { describeError } from '../../lambdas/core/errors';
import { readLongBench } from './data';
import { loadResults, ResultsWriter } from './results-file';
import { ItemProgress } from '../cli/progress';

/** File names inside the output directory. */
export const EVAL_FILES = { results: 'results.jsonl', summary: 'summary.json', markdown: 'summary.md' } as const;

/** What to evaluate and where to write. */
export interface HarnessOptions {
  data: string;
  subset: EvalSubset;
  approach: EvalApproach;
  outDir: string;
  limit?: number;
  concurrency: number;
  /** Run again the questions recorded as unsuccessful (their new line supersedes the old one). */
  retryFailed?: boolean;
}

/** Answers one record (a direct call or an RLM run). */
export type AnswerFn = (record: LongBenchRecord) => Promise<QuestionResult>;

/** An answer function built on demand (model, engine...), with what to release afterwards. */
export interface PreparedAnswer {
  answer: AnswerFn;
  close?: () => Promise<void>;
}

/** Either an answer function, or a factory called only once the data is valid and some question is left to run. */
export type AnswerSource = AnswerFn | { prepare: () => Promise<PreparedAnswer> };

/** How the evaluation went. */
export interface HarnessReport {
  summary: EvalSummary;
  markdown: string;
  /** Questions answered in this invocation. */
  ran: number;
  /** Questions skipped because `results.jsonl` already had them. */
  skipped: number;
  /** Questions left for a re-run (throttled / unavailable). */
  deferred: string[];
  /** Set when a setup problem stopped the evaluation early. */
  aborted?: string;
  outDir: string;
}

const describe = (r: QuestionResult) => {
  const verdict = !r.success ? `unsuccessful (${(r.error ?? '').slice(0, 120)})` : r.correct ? 'correct' : r.predicted ? 'wrong' : 'no letter';
  return `${r.id}: ${verdict} · predicted ${r.predicted ?? '-'} gold ${r.gold} · ${(r.latencyMs / 1000).toFixed(1)}s · $${r.costUsd.toFixed(4)}`;
};

/**
 * Evaluate. Data errors surface before any question runs. Results already recorded are skipped; a
 * setup failure stops taking new questions (in-flight ones finish and are recorded) and is reported.
 */
export async function runEvaluation(opts: HarnessOptions, source: AnswerSource, log: (line: string) => void = () => {}): Promise<HarnessReport> {
  const resultsFile = path.join(opts.outDir, EVAL_FILES.results);
  const loaded = loadResults(resultsFile, opts.approach);
  if (loaded.tornLines) log(`eval: dropped a last line cut off by an earlier crash in ${resultsFile}`);
  const done = (id: string) => {
    const r = loaded.byId.get(id);
    return r !== undefined && (r.success || !opts.retryFailed);
  };
  const data = await readLongBench(opts.data, { subset: opts.subset, limit: opts.limit, dropContext: done });
  const todo = data.records.filter((r) => !done(r._id));
  const skipped = data.records.length - todo.length;
  log(`eval: ${data.records.length} question(s) selected (subset ${opts.subset}) of ${data.total} in ${path.basename(opts.data)}; ${skipped} already done, ${todo.length} to run, concurrency ${opts.concurrency}`);

  const writer = new ResultsWriter(resultsFile);
  const progress = { ran: 0, deferred: [] as string[], aborted: undefined as string | undefined };
  if (todo.length > 0) {
    const prepared: PreparedAnswer = typeof source === 'function' ? { answer: source } : await source.prepare();
    const counts = new ItemProgress(todo.length);
    try {
      await mapWithConcurrency(todo, opts.concurrency, async (record) => {
        try {
          const result = await prepared.answer(record);
          writer.append(result);
          loaded.byId.set(result.id, result);
          progress.ran++;
          log(`eval: [${skipped + progress.ran}/${data.records.length}] ${describe(result)} | ${counts.record(result.success, result.costUsd)}`);
        } catch (err) {
          const { name, message } = describeError(err);
          if (err instanceof QuestionDeferredError) {
            progress.deferred.push(record._id);
            log(`eval: ${record._id} deferred (${message}); a re-run will retry it`);
          } else {
            // A setup problem, or an unexpected failure of the harness itself: stop rather than record a wrong outcome.
            progress.aborted ??= err instanceof EvalAbortedError ? `${name}: ${message}` : `${name}: ${message} (question ${record._id})`;
          }
        }
      }, () => progress.aborted !== undefined);
    } finally {
      await prepared.close?.();
    }
  }
  const { ran, deferred, aborted } = progress;
  if (aborted) log(`eval: stopped: ${aborted}`);

  const selected = new Set(data.records.map((r) => r._id));
  const results = [...loaded.byId.values()].filter((r) => selected.has(r.id));
  const summary = summarizeResults(results, {
    approach: opts.approach, subset: opts.subset, selected: data.records.length,
    subsetOf: (r) => subsetOf({ domain: r.domain, sub_domain: r.subDomain }),
  });
  const markdown = renderSummaryMarkdown(summary);
  writeFileSync(path.join(opts.outDir, EVAL_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(path.join(opts.outDir, EVAL_FILES.markdown), markdown + '\n');
  return { summary, markdown, ran, skipped, deferred, ...(aborted ? { aborted } : {}), outDir: opts.outDir };
}
