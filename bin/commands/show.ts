/** `rlm show RUN_ID|PATH`: a run's outcome and a per-turn table (kind, cells, error type, sub-calls, tokens, cost, time). */
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../lambdas/core/errors';
import { pricesFlag } from '../cli/args';
import { findRun, loadRunDir } from '../view/run-data';
import { fmtInt, formatDuration, formatUsd, overviewOf, turnRows } from '../view/run-model';
import { oneLine, textTable } from '../view/table';

/** Help text of `rlm show`. */
export const SHOW_HELP = `rlm show RUN_ID|PATH [--state-dir DIR] [--prices FILE]

A local run's question, outcome and answer, then one row per turn: kind, cells, error types,
sub-calls, root and sub tokens, cost, time. PATH is a run folder or a trajectory.json.
  --state-dir DIR        where runs are kept (default .rlm)
  --prices FILE          price table for the cost estimate when turns carry no cost`;

type IO = { stdout: (s: string) => void; stderr: (s: string) => void };

/** `rlm show ARGS`; returns the exit code (0, or 1 when the run failed). */
export async function showCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, options: { 'state-dir': { type: 'string' }, prices: { type: 'string' } }, strict: true, allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InvalidInputError('usage: rlm show RUN_ID|PATH [--state-dir DIR]');
  const prices = values.prices ? pricesFlag(values.prices) : undefined;
  const loaded = loadRunDir(findRun(positionals[0], values['state-dir'] ?? '.rlm'));
  const o = overviewOf(loaded, prices);
  const rows = turnRows(loaded, prices);
  const head = [
    `run       ${o.runId}`,
    `question  ${oneLine(o.question || '(unknown)', 100)}`,
    `status    ${o.status}${o.stopReason ? ` · ${o.stopReason}` : ''}${o.stopDetail ? `: ${o.stopDetail}` : ''}`,
    ...(o.error ? [`error     ${o.error.name}: ${oneLine(o.error.message, 160)}`] : []),
    `answer    ${o.answer === null ? '(none)' : oneLine(o.answer, 160)}`,
    `totals    ${o.turns} turns · ${fmtInt(o.totals.subCalls)} sub-calls · root ${fmtInt(o.totals.rootInputTokens + o.totals.rootOutputTokens + o.totals.rootCacheReadTokens + o.totals.rootCacheWriteTokens)} tok · sub ${fmtInt(o.totals.subInputTokens + o.totals.subOutputTokens)} tok · ${formatUsd(o.costUsd)}`,
    ...loaded.problems.map((p) => `note      ${p}`),
  ];
  io.stdout(head.join('\n') + '\n');
  if (rows.length) {
    const kind = (k: string) => (k === 'final_call' ? 'last call (no tools)' : k === 'no_code' ? 'no code' : 'code');
    io.stdout(textTable(
      ['turn', 'kind', 'cells', 'errors', 'sub-calls', 'root tok', 'sub tok', 'cost', 'time', 'end'],
      rows.map((r) => [
        String(r.index), kind(r.kind), String(r.cells), r.errors.join(',') || '-',
        r.subErrors ? `${r.subCalls} (${r.subErrors} err)` : String(r.subCalls),
        fmtInt(r.rootTokens), fmtInt(r.subTokens), formatUsd(r.costUsd), formatDuration(r.durationMs), r.stop ?? '',
      ]),
      new Set([0, 2, 4, 5, 6, 7, 8]),
    ));
  }
  return o.status === 'failed' ? 1 : 0;
}
