/**
 * Live progress on stderr for `rlm run`: the turn in flight (model call, cell, sub-calls in flight/done),
 * each retry, one line per finished turn with exception types and the running cost. On a terminal the live
 * line is redrawn in place; in a pipe only plain lines are written (live states at most every few seconds).
 * Also `ItemProgress`, the done/failed/cost/ETA suffix of `rlm batch` and `rlm eval` item lines.
 */
import type { ProgressListener, RetryInfo } from '../../lambdas/core/ports';
import type { RunTotals, TurnRecord } from '../../lambdas/core/types';
import { cellErrorType } from '../view/run-model';

const fmt = (n: number) => n.toLocaleString('en-US');
const usd = (x: number) => `$${x.toFixed(x >= 1 ? 2 : 4)}`;

/** `340 ms`, `4.2 s`, `3 min 4 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** "turn 3/30", or "final call (no tools)" for the last call without tools (never "turn 4/3"). */
export function turnLabel(index: number, maxIterations: number, finalCall: boolean): string {
  return finalCall ? 'final call (no tools)' : `turn ${index}/${maxIterations}`;
}

/** One line describing a recorded turn (with the run's cost so far when `totals` is given). */
export function describeTurn(turn: TurnRecord, maxIterations: number, totals?: RunTotals): string {
  const ms = Date.parse(turn.endedAt) - Date.parse(turn.startedAt);
  const sub = turn.cells.reduce((n, c) => n + c.result.sub.calls, 0);
  const subErr = turn.cells.reduce((n, c) => n + c.result.sub.errors, 0);
  const out = turn.cells.reduce((n, c) => n + c.fullOutput.length, 0);
  const tokens = turn.rootUsage.inputTokens + turn.rootUsage.outputTokens + (turn.rootUsage.cacheReadTokens ?? 0) + (turn.rootUsage.cacheWriteTokens ?? 0);
  let what: string;
  if (turn.kind === 'final_call') what = 'answered without tools';
  else if (turn.kind === 'no_code') what = 'no code (nudged)';
  else {
    const flags = turn.cells.map((c) => cellErrorType(c) ?? 'ok');
    const firstLine = turn.cells[0]?.code.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'))?.trim() ?? '';
    what = `${turn.cells.length} cell${turn.cells.length === 1 ? '' : 's'} [${flags.join(',')}] ${firstLine.slice(0, 48)}`;
  }
  const end = turn.outcome ? ` -> ${turn.outcome.stopReason}` : '';
  const cost = totals ? ` · ${usd(totals.costUsd)} so far` : '';
  return `${turnLabel(turn.index, maxIterations, turn.kind === 'final_call')} · ${what} · output ${fmt(out)} chars · ${sub} sub-calls${subErr ? ` (${subErr} failed)` : ''} · root ${fmt(tokens)} tok · ${formatMs(ms)}${cost}${end}`;
}

/** "retrying 2/6 in 4 s: ThrottlingException" (with the side: root or sub model). */
export function describeRetry(info: RetryInfo): string {
  const delay = info.delayMs < 1000 ? `${info.delayMs} ms` : `${Math.round(info.delayMs / 100) / 10} s`;
  return `${info.role} model: retrying ${info.attempt}/${info.maxAttempts} in ${delay}: ${info.error}`;
}

/** How progress reaches the terminal. */
export interface ProgressOutput {
  /** Writes a whole line (a newline is added). */
  line: (text: string) => void;
  /** Raw writes to a terminal, for redrawing the live line in place; absent in a pipe. */
  tty?: (raw: string) => void;
  /** Clock (tests). */
  now?: () => number;
  /** In a pipe, the shortest interval between two live-state lines (default 5 s). */
  pipeIntervalMs?: number;
}

/** Raw stderr writer when stderr is a terminal (for `ProgressOutput.tty`), else undefined. */
export function ttyStderr(stream: NodeJS.WriteStream = process.stderr): ((raw: string) => void) | undefined {
  return stream.isTTY ? (raw) => { stream.write(raw); } : undefined;
}

/**
 * A progress listener for `rlm run`. `write` prints a line; with `options.tty` the in-flight state is a
 * live line redrawn in place (cleared before each plain line).
 */
export function stderrProgress(write: (line: string) => void = (l) => process.stderr.write(l + '\n'), options: Omit<ProgressOutput, 'line'> = {}): ProgressListener & { stop(): void } {
  const now = options.now ?? Date.now;
  const tty = options.tty;
  const pipeInterval = options.pipeIntervalMs ?? 5000;
  let live = '';
  let lastPipeLive = 0;
  let turn = { index: 0, max: 0, startedAt: now(), final: false };
  const columns = () => Math.max(40, (process.stderr.columns || 120) - 1);
  const setLive = (text: string, force = false) => {
    if (tty) {
      live = text;
      tty(`\r\x1b[2K${text.slice(0, columns())}`);
    } else if (force || now() - lastPipeLive >= pipeInterval) {
      lastPipeLive = now();
      write(text);
    }
  };
  const printLine = (text: string) => {
    if (tty && live) tty('\r\x1b[2K');
    write(text);
    if (tty && live) tty(live.slice(0, columns()));
  };
  const clearLive = () => {
    if (tty && live) tty('\r\x1b[2K');
    live = '';
  };
  const prefix = () => `${turnLabel(turn.index, turn.max, turn.final)} · ${formatMs(now() - turn.startedAt)}`;
  return {
    turnStarted: ({ iteration, maxIterations }) => {
      turn = { index: iteration, max: maxIterations, startedAt: now(), final: iteration > maxIterations };
    },
    modelCallStarted: ({ iteration, finalCall }) => {
      if (iteration !== turn.index) turn = { ...turn, index: iteration, startedAt: now() };
      turn.final = finalCall;
      setLive(`${prefix()} · root model call in flight…`, true);
    },
    retrying: (info) => printLine(`${prefix()} · ${describeRetry(info)}`),
    cellStarted: ({ cell }) => setLive(`${prefix()} · cell ${cell} running…`, true),
    subCalls: ({ cell, inFlight, done, errors }) =>
      setLive(`${prefix()} · cell ${cell} · sub-calls ${fmt(inFlight)} in flight, ${fmt(done)} done${errors ? ` (${fmt(errors)} failed)` : ''}`),
    turnFinished: ({ turn: t, totals, maxIterations }) => {
      clearLive();
      write(describeTurn(t, maxIterations, totals));
    },
    stop: clearLive,
  };
}

/** Done/failed counts, running cost and ETA of many items (`rlm batch`, `rlm eval`). */
export class ItemProgress {
  private done = 0;
  private failed = 0;
  private cost = 0;
  private readonly started: number;

  /** @param total items to run in this invocation. */
  constructor(private readonly total: number, private readonly now: () => number = Date.now) {
    this.started = now();
  }

  /** Items finished so far. */
  get count(): number {
    return this.done;
  }

  /** Count one finished item; returns "n failed · $cost so far · ETA ..." to append to its line (after its [done/total]). */
  record(ok: boolean, costUsd: number): string {
    this.done += 1;
    if (!ok) this.failed += 1;
    this.cost += costUsd;
    const elapsed = this.now() - this.started;
    const left = this.total - this.done;
    const eta = left > 0 ? ` · ETA ${formatMs((elapsed / this.done) * left)}` : ' · all done';
    return `${this.failed} failed · ${usd(this.cost)} so far${eta}`;
  }
}
