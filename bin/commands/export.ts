/** `rlm export RUN_ID|PATH --format rlm-jsonl [--out FILE]`: a run in the reference RLM's log format (docs/viewer.md). */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../lambdas/core/errors';
import { choiceFlag } from '../cli/args';
import { toRlmJsonl } from '../view/rlm-jsonl';
import { findRun, loadRunDir } from '../view/run-data';

/** Help text of `rlm export`. */
export const EXPORT_HELP = `rlm export RUN_ID|PATH --format rlm-jsonl [--out FILE] [--state-dir DIR]

Write a local run in the log format of the reference RLM implementation (alexzhang13/rlm): a metadata
line, then one line per root turn with the prompt, the response, the code blocks with their results
and sub-LM calls, so its trajectory visualizer opens the run. Field mapping: docs/viewer.md.
  --format rlm-jsonl     the only format so far
  --out FILE             where to write (default <run folder>/<runId>.rlm.jsonl; "-" for stdout)
  --state-dir DIR        where runs are kept (default .rlm)
Prints the file's path as the last line of stdout.`;

type IO = { stdout: (s: string) => void; stderr: (s: string) => void };

/** `rlm export ARGS`; returns the exit code. */
export async function exportCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, options: { format: { type: 'string' }, out: { type: 'string' }, 'state-dir': { type: 'string' } }, strict: true, allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InvalidInputError('usage: rlm export RUN_ID|PATH --format rlm-jsonl [--out FILE]');
  if (values.format === undefined) throw new InvalidInputError('--format is required (rlm-jsonl)');
  choiceFlag('format', values.format, ['rlm-jsonl'] as const, 'rlm-jsonl');
  const loaded = loadRunDir(findRun(positionals[0], values['state-dir'] ?? '.rlm'));
  if (!loaded.turns.length) throw new InvalidInputError(`run ${loaded.runId} has no recorded turns to export${loaded.problems.length ? ` (${loaded.problems.join('; ')})` : ''}`);
  const text = toRlmJsonl(loaded).join('\n') + '\n';
  for (const p of loaded.problems) io.stderr(`rlm export: note: ${p}`);
  if (values.out === '-') {
    io.stdout(text.replace(/\n$/, ''));
    return 0;
  }
  const out = path.resolve(values.out ?? path.join(loaded.dir, `${loaded.runId}.rlm.jsonl`));
  writeFileSync(out, text);
  io.stdout(out);
  return 0;
}
