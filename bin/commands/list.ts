/** `rlm list`: the local runs in a state dir, newest first (run ID, question, status, turns, cost, age). */
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../lambdas/core/errors';
import { intFlag } from '../cli/args';
import { listRunDirs, loadRunDir, resultsDirOf } from '../view/run-data';
import { formatUsd, overviewOf } from '../view/run-model';
import { formatAge, oneLine, textTable } from '../view/table';

/** Help text of `rlm list`. */
export const LIST_HELP = `rlm list [--state-dir DIR] [--limit N] [--output text|json]

The local runs (in <state-dir>/results/), newest first: run ID, question, status, turns, cost, age.
  --state-dir DIR        where runs are kept (default .rlm)
  --limit N              at most N runs (default 50)
  --output text|json     a table (default) or one JSON array`;

type IO = { stdout: (s: string) => void; stderr: (s: string) => void };

/** `rlm list ARGS`; returns the exit code. */
export async function listCommand(argv: string[], io: IO, now: () => number = Date.now): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, options: { 'state-dir': { type: 'string' }, limit: { type: 'string' }, output: { type: 'string' } }, strict: true, allowPositionals: true,
  });
  if (positionals.length) throw new InvalidInputError(`rlm list takes no arguments, got "${positionals.join(' ')}"`);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new InvalidInputError(`--output must be one of text, json, got "${output}"`);
  const stateDir = values['state-dir'] ?? '.rlm';
  const limit = intFlag('limit', values.limit) ?? 50;
  const runs = listRunDirs(stateDir).map(loadRunDir).map((l) => {
    const o = overviewOf(l);
    const created = o.createdAt ? Date.parse(o.createdAt) : NaN;
    return { ...o, when: Number.isFinite(created) ? created : l.mtimeMs, problems: l.problems };
  }).sort((a, b) => b.when - a.when).slice(0, limit);
  if (output === 'json') {
    io.stdout(JSON.stringify(runs.map((r) => ({ runId: r.runId, question: r.question, status: r.status, stopReason: r.stopReason ?? null, turns: r.turns, costUsd: r.costUsd, createdAt: new Date(r.when).toISOString() }))));
    return 0;
  }
  if (!runs.length) {
    io.stderr(`rlm list: no runs in ${resultsDirOf(stateDir)}`);
    return 0;
  }
  const rows = runs.map((r) => [
    r.runId, oneLine(r.question || '(question unknown)', 48),
    r.status + (r.stopReason && r.status !== 'failed' ? ` (${r.stopReason})` : r.error ? ` (${r.error.name})` : ''),
    String(r.turns), formatUsd(r.costUsd), formatAge(now() - r.when),
  ]);
  io.stdout(textTable(['run', 'question', 'status', 'turns', 'cost', 'age'], rows, new Set([3, 4])));
  return 0;
}
