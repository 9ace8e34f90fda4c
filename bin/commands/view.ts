/** `rlm view RUN_ID|PATH [--out FILE]`: one self-contained HTML page of a run, a batch results folder or an eval output folder. */
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../lambdas/core/errors';
import { pricesFlag } from '../cli/args';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_STACK_NAME } from '../../lib/stack-outputs';
import { downloadTrajectory, readResult } from '../remote/runs';
import { assertRunId, createRemoteClients, readStackOutputs, type RemoteClients } from '../remote/stack';
import { writeView } from '../view/write-view';
import { RUN_ARTIFACT_FILES } from '../../lambdas/core/bucket-layout';

/** Help text of `rlm view`. */
export const VIEW_HELP = `rlm view RUN_ID|PATH [--out FILE] [--state-dir DIR] [--prices FILE] [--stack NAME [--region REGION]]

Write ONE self-contained HTML file (no network; open it from file://) showing what the RLM did:
  a run (RUN_ID, a run folder or a trajectory.json): question, outcome, answer, every turn's prose, code,
    output as the model saw it and in full, errors, sub-calls by batch with prompt and reply, tokens
    and cost per turn, the document ranges sub-calls drew from, the config;
  a batch results folder (rlm batch --out) or an eval output folder (rlm eval --out, or its parent
    holding one folder per approach): one row per item linking to each run's page, and charts.
  --out FILE             the HTML file (default <run folder>/view.html, or <folder>/view.html)
  --state-dir DIR        where runs are kept (default .rlm; an eval folder's own .rlm is used when present)
  --prices FILE          price table for per-turn cost when turns carry none
  --stack NAME           a run of the deployed stack: results/<runId>/ is downloaded from its bucket to
                         <state-dir>/remote/<runId>/ first (--region REGION; AWS credentials needed)
Prints the file's path as the last line of stdout.`;

type IO = { stdout: (s: string) => void; stderr: (s: string) => void };

/**
 * Download a stack run's `results/<runId>/result.json` and `trajectory.json` into `<stateDir>/remote/<runId>/`;
 * returns that folder. Throws `InvalidInputError` when the stack has neither file for the run.
 */
export async function downloadStackRun(clients: RemoteClients, stackName: string, runId: string, stateDir: string): Promise<string> {
  assertRunId(runId);
  const stack = await readStackOutputs(clients.cfn, stackName);
  const dir = path.join(path.resolve(stateDir), 'remote', runId);
  mkdirSync(dir, { recursive: true });
  const result = await readResult(clients, stack, runId);
  const gotTrajectory = await downloadTrajectory(clients, stack, runId, path.join(dir, RUN_ARTIFACT_FILES.trajectory));
  if (!result && !gotTrajectory) throw new InvalidInputError(`stack ${stackName} has no results/${runId}/ (the run is still going, or the ID is wrong: rlm status ${runId})`);
  if (result) writeFileSync(path.join(dir, RUN_ARTIFACT_FILES.result), JSON.stringify(result, null, 2));
  return dir;
}

/** \`rlm view ARGS\`; returns the exit code. \`clients\` is injected by tests. */
export async function viewCommand(argv: string[], io: IO, clients?: (region?: string) => RemoteClients): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, options: { out: { type: 'string' }, 'state-dir': { type: 'string' }, prices: { type: 'string' }, stack: { type: 'string' }, region: { type: 'string' } }, strict: true, allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InvalidInputError('usage: rlm view RUN_ID|PATH [--out FILE] [--state-dir DIR] [--stack NAME]');
  const stateDir = values['state-dir'] ?? '.rlm';
  const target = values.stack !== undefined
    ? await downloadStackRun((clients ?? createRemoteClients)(values.region), values.stack || DEFAULT_STACK_NAME, positionals[0], stateDir)
    : positionals[0];
  if (values.stack !== undefined) io.stderr(`rlm view: downloaded results/${positionals[0]}/ to ${target}`);
  const written = await writeView(target, {
    stateDir,
    ...(values.out ? { out: values.out } : {}),
    ...(values.prices ? { prices: pricesFlag(values.prices) } : {}),
    log: io.stderr,
  });
  io.stdout(written);
  return 0;
}
