/**
 * `rlm resume RUN_ID`: continue a killed, failed or cancelled local run from its last recorded step, and
 * print the same result as `rlm run` would have. A run that already succeeded prints its result again.
 */
import { parseArgs } from 'node:util';
import { createLanguageModel } from '../../lambdas/adapters/models';
import { InvalidInputError } from '../../lambdas/core/errors';
import { choiceFlag, pricesFlag } from '../cli/args';
import { exitCodeForSummary } from '../cli/exit-codes';
import { LocalEngine } from '../local/local-engine';
import { cliProgress, printSummary, readLaunchRecord, type CommandCancellation } from './run';

/** Help text of `rlm resume`. */
export const RESUME_HELP = `rlm resume RUN_ID [options]

  Continue a local run that was killed, cancelled or failed, from its last recorded step: recorded model
  replies and cells are not redone; the sandbox starts fresh with the documents reloaded (the model is told).

  --state-dir DIR        the state dir the run used (default .rlm)
  --llm SPEC             the model (default: the one the run was started with, else RLM_LLM, else bedrock)
  --prices FILE          JSON price table (as for rlm run)
  --output text|json     as for rlm run
  --quiet                no per-turn progress on stderr`;

/**
 * Run `rlm resume`; returns the exit code (as `rlm run`: bin/cli/exit-codes.ts). Like `rlm run`, it stops on
 * SIGINT/SIGTERM through `cancel` and records the run `cancelled` (it can be resumed again).
 */
export async function resumeCommand(
  argv: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }, env: NodeJS.ProcessEnv = process.env, cancel?: CommandCancellation,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'state-dir': { type: 'string' }, llm: { type: 'string' }, prices: { type: 'string' }, output: { type: 'string' }, quiet: { type: 'boolean' } },
    strict: true, allowPositionals: true,
  });
  if (positionals.length !== 1) throw new InvalidInputError('rlm resume takes exactly one RUN_ID (printed by rlm run when it starts)');
  const [runId] = positionals;
  const output = choiceFlag('output', values.output, ['text', 'json'] as const, 'text');
  const stateDir = values['state-dir'] ?? '.rlm';
  const launch = readLaunchRecord(stateDir, runId);
  const llm = values.llm ?? launch?.llm ?? env.RLM_LLM ?? 'bedrock';
  const prices = values.prices ? pricesFlag(values.prices) : undefined;
  const model = await createLanguageModel(llm);
  const engine = await LocalEngine.start({
    model, stateDir, runDefaults: launch?.runDefaults ?? {}, ...(prices ? { prices } : {}), ...(values.quiet ? {} : { progress: cliProgress(io.stderr) }),
    ...(cancel ? { signal: cancel.signal } : {}),
  });
  try {
    io.stderr(`rlm: resuming run ${runId} (model ${model.description}; state in ${engine.stateDir})`);
    const summary = await engine.resume(runId, launch?.request);
    printSummary(summary, output, io);
    return exitCodeForSummary(summary, cancel?.received());
  } finally {
    await engine.close();
  }
}
