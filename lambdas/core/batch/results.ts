/**
 * Batch results: one `results.jsonl` line per item and a `summary.json`, the same on AWS (batch state
 * machine) and locally (`rlm batch`).
 */
import type { RunSummary, StopReason } from '../types';
import { nearestRank } from '../stats';

/** One line of `results.jsonl`. */
export interface BatchResultLine {
  id: string;
  /** 0-based item number (manifest order). */
  index: number;
  status: 'succeeded' | 'failed';
  runId: string | null;
  answer: string | null;
  stopReason: StopReason | null;
  /** Why the item failed (`Name: message`), null when it succeeded. */
  error: string | null;
  iterations: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
  /** Wall time of the item's run; null when it never ran. */
  latencyMs: number | null;
}

/** Identity of an item in a result line. */
export interface ItemRef {
  index: number;
  id: string;
  runId?: string;
}

/** Result line of an item whose run produced a summary. */
export function resultLineFromSummary(item: ItemRef, summary: RunSummary, latencyMs?: number): BatchResultLine {
  const u = summary.usage;
  const input = u.rootInputTokens + u.rootCacheReadTokens + u.rootCacheWriteTokens + u.subInputTokens;
  const output = u.rootOutputTokens + u.subOutputTokens;
  const failed = summary.status !== 'succeeded';
  const error = failed ? (summary.error ? `${summary.error.name}: ${summary.error.message}` : summary.stopDetail ?? 'the run failed') : null;
  const latency = latencyMs ?? summary.elapsedMs;
  return {
    id: item.id, index: item.index, status: failed ? 'failed' : 'succeeded', runId: summary.runId || item.runId || null,
    answer: summary.answer, stopReason: summary.stopReason, error, iterations: summary.iterations,
    inputTokens: input, outputTokens: output, totalTokens: input + output, costUsd: summary.costUsd,
    latencyMs: latency === undefined ? null : Math.max(0, Math.round(latency)),
  };
}

/** Result line of an item that failed without a run summary (invalid line, start refused, lost record). */
export function failedResultLine(item: ItemRef, reason: string, latencyMs?: number): BatchResultLine {
  return {
    id: item.id, index: item.index, status: 'failed', runId: item.runId ?? null, answer: null, stopReason: null,
    error: reason, iterations: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0,
    latencyMs: latencyMs === undefined ? null : Math.max(0, Math.round(latencyMs)),
  };
}

/** Latency percentiles (milliseconds, nearest rank); null when no item ran. */
export interface LatencyStats {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  mean: number | null;
  max: number | null;
}

/** `summary.json`. */
export interface BatchSummary {
  batchId: string;
  manifest: string;
  startedAt?: string;
  finishedAt?: string;
  items: number;
  succeeded: number;
  failed: number;
  /** Succeeded items whose run produced an answer. */
  answered: number;
  /** succeeded / items (0 for an empty batch), 4 decimals. */
  successRate: number;
  tokens: { input: number; output: number; total: number };
  costUsd: number;
  latencyMs: LatencyStats;
  /** The failed items with their reasons (first 100). */
  failures: Array<{ id: string; error: string }>;
  /** Where the per-item lines are. */
  results?: string;
}

/** Most failures listed in the summary (all are in results.jsonl). */
export const MAX_LISTED_FAILURES = 100;

/** Nearest-rank percentile of ascending `sorted` (p in (0, 100]); null for an empty list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  return nearestRank(sorted, p) ?? null;
}

/** Latency stats of the lines that ran. */
export function latencyStats(lines: readonly BatchResultLine[]): LatencyStats {
  const values = lines.map((l) => l.latencyMs).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  if (!values.length) return { p50: null, p90: null, p99: null, mean: null, max: null };
  return {
    p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99),
    mean: Math.round(values.reduce((a, b) => a + b, 0) / values.length), max: values[values.length - 1],
  };
}

/** Summarise result lines. */
export function summarizeBatch(lines: readonly BatchResultLine[], meta: { batchId: string; manifest: string; startedAt?: string; finishedAt?: string; results?: string }): BatchSummary {
  const succeeded = lines.filter((l) => l.status === 'succeeded');
  const failures = lines.filter((l) => l.status === 'failed');
  const sum = (f: (l: BatchResultLine) => number) => lines.reduce((n, l) => n + f(l), 0);
  return {
    batchId: meta.batchId, manifest: meta.manifest,
    ...(meta.startedAt ? { startedAt: meta.startedAt } : {}),
    ...(meta.finishedAt ? { finishedAt: meta.finishedAt } : {}),
    items: lines.length, succeeded: succeeded.length, failed: failures.length,
    answered: succeeded.filter((l) => l.answer !== null).length,
    successRate: lines.length ? Number((succeeded.length / lines.length).toFixed(4)) : 0,
    tokens: { input: sum((l) => l.inputTokens), output: sum((l) => l.outputTokens), total: sum((l) => l.totalTokens) },
    costUsd: Number(sum((l) => l.costUsd).toFixed(6)),
    latencyMs: latencyStats(lines),
    failures: failures.slice(0, MAX_LISTED_FAILURES).map((l) => ({ id: l.id, error: l.error ?? 'failed' })),
    ...(meta.results ? { results: meta.results } : {}),
  };
}

/** Lines in item order as JSON Lines (one object a line, trailing newline). */
export function toJsonLines(lines: readonly BatchResultLine[]): string {
  return [...lines].sort((a, b) => a.index - b.index).map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
}
