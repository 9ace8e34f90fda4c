/**
 * Per-question results and their summary: success rate and accuracy in the published form, with
 * easy/hard, short/medium/long and subset splits, and cost / latency percentiles.
 */
import type { EvalApproach } from './approach';
import { APPROACH_LABELS } from './approach';
import type { ChoiceLetter, Difficulty, LengthBucket } from './records';
import { nearestRank } from '../stats';

/** One line of `results.jsonl`: the outcome of one question under one approach. */
export interface QuestionResult {
  id: string;
  approach: EvalApproach;
  /** Processed within the limits without error (RLM: ended by FINAL). See docs/evaluation.md. */
  success: boolean;
  /** The letter extracted from the answer, null when none. */
  predicted: ChoiceLetter | null;
  gold: ChoiceLetter;
  /** `success && predicted === gold`. */
  correct: boolean;
  rootTokens: number;
  subTokens: number;
  costUsd: number;
  latencyMs: number;
  /** Root turns (RLM); 1 for a direct call that was made, 0 when none was. */
  iterations: number;
  /** `Name: message` of what made the question unsuccessful, null when it succeeded. */
  error: string | null;
  domain: string;
  subDomain: string;
  difficulty: Difficulty;
  length: LengthBucket;
  /** RLM only: how the run stopped (`final`, `iteration_cap`, `limit`, `error`). */
  stopReason?: string;
  /** RLM only: the run ID (trajectory under the state dir or the stack's results/). */
  runId?: string;
  /** The first characters of the model's answer, for inspection. */
  answerPreview?: string;
  /** Prompt tokens counted (or estimated, see `promptTokensSource`) before a direct call. */
  promptTokens?: number;
  promptTokensSource?: 'counted' | 'estimated';
  finishedAt: string;
}

/** Success rate and accuracy of a group of questions. */
export interface GroupStats {
  n: number;
  succeeded: number;
  correct: number;
  /** succeeded / n (0 when n = 0). */
  successRate: number;
  /** correct / n: unanswered and unsuccessful questions count as wrong. */
  accuracy: number;
}

/** Nearest-rank percentiles of a sample. */
export interface Distribution {
  total: number;
  mean: number;
  p50: number;
  p90: number;
  max: number;
}

/** The summary written to `summary.json`. */
export interface EvalSummary {
  approach: EvalApproach;
  subset: string;
  /** Questions selected for this run (after `--subset` and `--limit`). */
  selected: number;
  /** Selected questions with a result so far (the rest are still to run). */
  finished: number;
  overall: GroupStats;
  /** Finished, successful questions whose answer had no letter. */
  unanswered: number;
  byDifficulty: Record<Difficulty, GroupStats>;
  byLength: Record<LengthBucket, GroupStats>;
  /** By paper subset: financial, code, other. */
  bySubset: Record<string, GroupStats>;
  costUsd: Distribution;
  latencyMs: Distribution;
  tokens: { root: number; sub: number };
  /** Counts of error names among unsuccessful questions. */
  errors: Record<string, number>;
}

/**
 * Nearest-rank percentile: the smallest value with at least `p`% of the sample at or below it
 * (`p50` of 1..10 is 5, `p90` is 9). 0 for an empty sample.
 */
export function percentile(values: readonly number[], p: number): number {
  return nearestRank([...values].sort((a, b) => a - b), p) ?? 0;
}

/** Total, mean, p50, p90 and max of a sample. */
export function distribution(values: readonly number[]): Distribution {
  const total = values.reduce((a, b) => a + b, 0);
  return {
    total, mean: values.length ? total / values.length : 0,
    p50: percentile(values, 50), p90: percentile(values, 90), max: values.length ? Math.max(...values) : 0,
  };
}

/** Success rate and accuracy of some results. */
export function groupStats(results: readonly QuestionResult[]): GroupStats {
  const n = results.length;
  const succeeded = results.filter((r) => r.success).length;
  const correct = results.filter((r) => r.correct).length;
  return { n, succeeded, correct, successRate: n ? succeeded / n : 0, accuracy: n ? correct / n : 0 };
}

function groupBy<K extends string>(results: readonly QuestionResult[], keys: readonly K[], key: (r: QuestionResult) => string): Record<K, GroupStats> {
  const out = {} as Record<K, GroupStats>;
  for (const k of keys) out[k] = groupStats(results.filter((r) => key(r) === k));
  return out;
}

/**
 * Summarise the results of one approach. `subsetOf` maps a result to its paper subset; `selected` is
 * how many questions the run selected (defaults to the number of results).
 */
export function summarizeResults(
  results: readonly QuestionResult[],
  opts: { approach: EvalApproach; subset: string; selected?: number; subsetOf: (r: QuestionResult) => string },
): EvalSummary {
  const errors: Record<string, number> = {};
  for (const r of results) {
    if (r.success || !r.error) continue;
    const name = r.error.split(':')[0] || 'Error';
    errors[name] = (errors[name] ?? 0) + 1;
  }
  const subsets = [...new Set(results.map(opts.subsetOf))].sort();
  return {
    approach: opts.approach,
    subset: opts.subset,
    selected: opts.selected ?? results.length,
    finished: results.length,
    overall: groupStats(results),
    unanswered: results.filter((r) => r.success && r.predicted === null).length,
    byDifficulty: groupBy(results, ['easy', 'hard'] as const, (r) => r.difficulty),
    byLength: groupBy(results, ['short', 'medium', 'long'] as const, (r) => r.length),
    bySubset: groupBy(results, subsets, opts.subsetOf),
    costUsd: distribution(results.map((r) => r.costUsd)),
    latencyMs: distribution(results.map((r) => r.latencyMs)),
    tokens: { root: results.reduce((n, r) => n + r.rootTokens, 0), sub: results.reduce((n, r) => n + r.subTokens, 0) },
    errors,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const usd = (x: number) => `$${x.toFixed(x >= 1 ? 2 : 4)}`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;

/** The summary as Markdown: the published table (success rate, accuracy), the splits, cost and latency. */
export function renderSummaryMarkdown(s: EvalSummary): string {
  const label = APPROACH_LABELS[s.approach];
  const lines = [
    row(['Approach', 'Subset', 'Questions', 'Success rate', 'Accuracy']),
    row(['---', '---', '---:', '---:', '---:']),
    row([label, s.subset, s.overall.n, pct(s.overall.successRate), pct(s.overall.accuracy)]),
    '',
    row(['Split', 'Questions', 'Success rate', 'Accuracy']),
    row(['---', '---:', '---:', '---:']),
  ];
  const splits: Array<[string, GroupStats]> = [
    ...Object.entries(s.byDifficulty), ...Object.entries(s.byLength),
    ...(Object.keys(s.bySubset).length > 1 ? Object.entries(s.bySubset) : []),
  ];
  for (const [name, g] of splits) {
    lines.push(row([name, g.n, g.n ? pct(g.successRate) : '–', g.n ? pct(g.accuracy) : '–']));
  }
  lines.push(
    '',
    row(['', 'total', 'mean', 'p50', 'p90', 'max']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    row(['cost', usd(s.costUsd.total), usd(s.costUsd.mean), usd(s.costUsd.p50), usd(s.costUsd.p90), usd(s.costUsd.max)]),
    row(['latency', secs(s.latencyMs.total), secs(s.latencyMs.mean), secs(s.latencyMs.p50), secs(s.latencyMs.p90), secs(s.latencyMs.max)]),
  );
  const notes: string[] = [];
  if (s.finished < s.selected) notes.push(`${s.selected - s.finished} of ${s.selected} selected questions have no result yet (re-run to resume).`);
  if (s.unanswered) notes.push(`${s.unanswered} successful answer(s) had no extractable letter (counted wrong).`);
  const errs = Object.entries(s.errors).map(([k, v]) => `${k} x${v}`).join(', ');
  if (errs) notes.push(`Unsuccessful: ${errs}.`);
  notes.push(`Tokens: root ${s.tokens.root.toLocaleString('en-US')}, sub ${s.tokens.sub.toLocaleString('en-US')}.`);
  return [...lines, '', ...notes].join('\n');
}
