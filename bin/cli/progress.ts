/** Live per-turn progress on stderr for `rlm run` (turn n/max, what ran, output size, sub-calls, tokens, elapsed). */
import type { ProgressListener } from '../../lambdas/core/ports';

const fmt = (n: number) => n.toLocaleString('en-US');

/** One line describing a recorded turn. */
export function describeTurn(turn: import('../../lambdas/core/types').TurnRecord, maxIterations: number): string {
  const ms = Date.parse(turn.endedAt) - Date.parse(turn.startedAt);
  const sub = turn.cells.reduce((n, c) => n + c.result.sub.calls, 0);
  const out = turn.cells.reduce((n, c) => n + c.fullOutput.length, 0);
  const tokens = turn.rootUsage.inputTokens + turn.rootUsage.outputTokens + (turn.rootUsage.cacheReadTokens ?? 0) + (turn.rootUsage.cacheWriteTokens ?? 0);
  let what: string;
  if (turn.kind === 'final_call') what = 'last call without tools';
  else if (turn.kind === 'no_code') what = 'no code (nudged)';
  else {
    const flags = turn.cells.map((c) => (c.result.timedOut ? 'timeout' : c.result.raised ? 'error' : 'ok'));
    const firstLine = turn.cells[0]?.code.split('\n').find((l) => l.trim() && !l.trim().startsWith('#'))?.trim() ?? '';
    what = `${turn.cells.length} cell${turn.cells.length === 1 ? '' : 's'} [${flags.join(',')}] ${firstLine.slice(0, 48)}`;
  }
  const end = turn.outcome ? ` -> ${turn.outcome.stopReason}` : '';
  return `turn ${turn.index}/${maxIterations} · ${what} · output ${fmt(out)} chars · ${sub} sub-calls · root ${fmt(tokens)} tok · ${ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)}s`}${end}`;
}

/** A progress listener printing one line per turn to `write` (stderr by default). */
export function stderrProgress(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): ProgressListener {
  return {
    turnFinished: ({ turn, maxIterations }) => write(describeTurn(turn, maxIterations)),
  };
}
