/** `rlm view RUN_ID|PATH [--out FILE]`: one self-contained HTML page of a run, a batch results folder or an eval output folder. */
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../lambdas/core/errors';
import { pricesFlag } from '../cli/args';
import { writeView } from '../view/write-view';

/** Help text of `rlm view`. */
export const VIEW_HELP = `rlm view RUN_ID|PATH [--out FILE] [--state-dir DIR] [--prices FILE]

Write ONE self-contained HTML file (no network; open it from file://) showing what the RLM did:
  a run (RUN_ID, a run folder or a trajectory.json): question, outcome, answer, every turn's prose, code,
    output as the model saw it and in full, errors, sub-calls by batch with prompt and reply, tokens
    and cost per turn, the document ranges sub-calls drew from, the config;
  a batch results folder (rlm batch --out) or an eval output folder (rlm eval --out, or its parent
    holding one folder per approach): one row per item linking to each run's page, and charts.
  --out FILE             the HTML file (default <run folder>/view.html, or <folder>/view.html)
  --state-dir DIR        where runs are kept (default .rlm; an eval folder's own .rlm is used when present)
  --prices FILE          price table for per-turn cost when turns carry none
Prints the file's path as the last line of stdout.`;

type IO = { stdout: (s: string) => void; stderr: (s: string) => void };

/** \`rlm view ARGS\`; returns the exit code. */
export async function viewCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, options: { out: { type: 'string' }, 'state-dir': { type: 'string' }, prices: { type: 'string' }, stack: { type: 'string' } }, strict: true, allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InvalidInputError('usage: rlm view RUN_ID|PATH [--out FILE] [--state-dir DIR]');
  if (values.stack) throw new InvalidInputError('--stack is not supported yet: download the run with "rlm result RUN_ID --trajectory FILE" and run "rlm view FILE"');
  const written = await writeView(positionals[0], {
    stateDir: values['state-dir'] ?? '.rlm',
    ...(values.out ? { out: values.out } : {}),
    ...(values.prices ? { prices: pricesFlag(values.prices) } : {}),
    log: io.stderr,
  });
  io.stdout(written);
  return 0;
}
