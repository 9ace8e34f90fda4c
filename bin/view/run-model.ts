/**
 * What the viewer, `rlm show` and `rlm list` say about a run, derived from its records: status, per-turn
 * tokens and cost (computed with core accounting when the record does not carry them), error types.
 */
import { addTurn, computeTotals, zeroTotals } from '../../lambdas/core/accounting';
import { DEFAULT_RUN_CONFIG } from '../../lambdas/core/config';
import type { PriceTable } from '../../lambdas/core/pricing';
import type { CellRecord, RunConfig, RunTotals, TurnRecord } from '../../lambdas/core/types';
import type { LoadedRun } from './run-data';

/** One row of the per-turn table. */
export interface TurnRow {
  index: number;
  kind: TurnRecord['kind'];
  cells: number;
  /** Exception types of failed cells (`Timeout` for a timed-out cell), in cell order. */
  errors: string[];
  subCalls: number;
  subErrors: number;
  rootTokens: number;
  subTokens: number;
  costUsd: number;
  /** Running total after this turn. */
  cumulativeCostUsd: number;
  durationMs: number;
  rootLatencyMs: number;
  stop?: string;
}

/** A run at a glance. */
export interface RunOverview {
  runId: string;
  question: string;
  status: string;
  stopReason?: string;
  stopDetail?: string;
  answer: string | null;
  error?: { name: string; message: string };
  turns: number;
  costUsd: number;
  totals: RunTotals;
  createdAt?: string;
}

/**
 * The exception type of a failed cell from its output (the last `Name: message` line of a traceback),
 * `Timeout` for a timed-out cell, undefined for a clean one.
 */
export function cellErrorType(cell: CellRecord): string | undefined {
  if (cell.result.timedOut) return 'Timeout';
  if (!cell.result.raised) return undefined;
  const lines = cell.fullOutput.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning|Iteration))(?::|$)/.exec(lines[i].trim());
    if (m) return m[1].split('.').pop();
  }
  return 'Error';
}

function numberField(obj: object, key: string): number | undefined {
  const v = (obj as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The run's config, from the run record or a neutral fallback when the trajectory is missing. */
export function configOf(loaded: LoadedRun): RunConfig {
  return loaded.run?.config ?? DEFAULT_RUN_CONFIG;
}

/** Per-turn rows: tokens, cost (the record's `costUsd` when present, else computed), error types. */
export function turnRows(loaded: LoadedRun, prices?: PriceTable): TurnRow[] {
  const config = configOf(loaded);
  let running = 0;
  return loaded.turns.map((turn) => {
    const recorded = numberField(turn, 'costUsd');
    const cost = recorded ?? addTurn(zeroTotals(), turn, config, prices).costUsd;
    running += cost;
    const u = turn.rootUsage ?? { inputTokens: 0, outputTokens: 0 };
    const sub = turn.cells.map((c) => c.result.sub);
    return {
      index: turn.index, kind: turn.kind, cells: turn.cells.length,
      errors: turn.cells.map(cellErrorType).filter((e): e is string => !!e),
      subCalls: sub.reduce((n, s) => n + s.calls, 0), subErrors: sub.reduce((n, s) => n + s.errors, 0),
      rootTokens: u.inputTokens + u.outputTokens + (u.cacheReadTokens ?? 0) + (u.cacheWriteTokens ?? 0),
      subTokens: sub.reduce((n, s) => n + s.inputTokens + s.outputTokens, 0),
      costUsd: cost, cumulativeCostUsd: running,
      durationMs: Math.max(0, Date.parse(turn.endedAt) - Date.parse(turn.startedAt)) || 0,
      rootLatencyMs: turn.rootLatencyMs ?? 0,
      ...(turn.outcome ? { stop: turn.outcome.stopReason } : {}),
    };
  });
}

/** The overview of a run: the run record first, then result.json, then what the last turn says. */
export function overviewOf(loaded: LoadedRun, prices?: PriceTable): RunOverview {
  const { run, result, turns } = loaded;
  const outcome = turns[turns.length - 1]?.outcome;
  const totals = turns.length ? computeTotals(turns, configOf(loaded), prices) : run?.totals ?? zeroTotals();
  const costUsd = result?.costUsd ?? totals.costUsd;
  const status = run?.status ?? result?.status ?? (turns.length ? 'running' : 'unknown');
  const error = run?.error ?? result?.error;
  return {
    runId: loaded.runId,
    question: run?.question ?? result?.question ?? '',
    status,
    ...(run?.stopReason ?? result?.stopReason ?? outcome?.stopReason ? { stopReason: run?.stopReason ?? result?.stopReason ?? outcome?.stopReason } : {}),
    ...(run?.stopDetail ?? result?.stopDetail ?? outcome?.detail ? { stopDetail: run?.stopDetail ?? result?.stopDetail ?? outcome?.detail } : {}),
    answer: run?.answer ?? result?.answer ?? outcome?.answer ?? null,
    ...(error ? { error } : {}),
    turns: turns.length || run?.iterations || result?.iterations || 0,
    costUsd, totals,
    ...(run?.createdAt ? { createdAt: run.createdAt } : {}),
  };
}

/** `1.2 s`, `340 ms`, `3 min 4 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `$0.0123` (4 decimals under a dollar, 2 above). */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;
}

/** Integer with thousands separators. */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
