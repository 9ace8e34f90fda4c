/** `rlm eval longbench`: the LongBench v2 evaluation with Base, Long Context and RLM (docs/evaluation.md). */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { createLanguageModel } from '../../lambdas/adapters/models';
import { DEFAULT_ROOT_MODEL_ID, DEFAULT_SUB_MODEL_ID } from '../../lambdas/core/config';
import { ConfigError, describeError, InvalidInputError } from '../../lambdas/core/errors';
import { EVAL_APPROACHES, EVAL_SUBSETS, planDirectCall, type EvalApproach, type EvalSubset } from '../../lambdas/core/eval';
import type { RunConfig } from '../../lambdas/core/types';
import { choiceFlag, intFlag } from '../cli/args';
import { SCRIPTED_MODEL_IDS } from '../cli/run-options';
import { LocalEngine } from '../local/local-engine';
import { warmSessionsFor } from '../../lambdas/adapters/pyodide/warm-pool';
import { answerDirect } from '../eval/direct';
import { runEvaluation, type HarnessReport, type PreparedAnswer } from '../eval/harness';
import { answerRlm, LocalRlmRunner, rlmModelOptions, type RlmRunner } from '../eval/rlm';
import { describeStackTarget, StackRlmRunner } from '../eval/stack-runner';
import { createRemoteClients } from '../remote/stack';
import { bedrockTokenCounter } from '../eval/token-count';

/** Help text of `rlm eval`. */
export const EVAL_HELP = `rlm eval longbench --data FILE --approach base|long-context|rlm [options]

Evaluates on LongBench v2 as the RLM paper reports it: success rate and accuracy (docs/evaluation.md).

  --data FILE            the official data.json (a JSON array) or JSON Lines with the same fields
  --approach A           base: one call, official 0-shot prompt, 200K-token window
                         long-context: the same with the 1M-token window (Bedrock: Claude Sonnet 4/4.5)
                         rlm: the RLM pipeline with the context as the document
  --subset S             financial (sub_domain Financial) | code (Code Repository Understanding) | all (default: every record)
  --llm SPEC             bedrock (default) | openai | openai:URL | scripted:FILE   (env RLM_LLM)
  --root-model ID        the model of base/long-context, the root model of rlm (default ${DEFAULT_ROOT_MODEL_ID})
  --sub-model ID         rlm sub-model (default ${DEFAULT_SUB_MODEL_ID})
  --max-iterations N     rlm root turns (default 30)
  --limit N              only the first N selected questions
  --concurrency N        questions in flight (default 4)
  --out DIR              output directory (default eval-out/<approach>); results.jsonl, summary.json, summary.md
  --stack NAME           rlm on a deployed stack instead of this machine (uses AWS credentials)
  --state-dir DIR        local rlm state (default <out>/.rlm)
  --retry-failed         run again the questions recorded as unsuccessful
  --fresh-sandboxes      rlm: a new sandbox process per question, instead of one reset between questions
  --quiet                no per-question progress on stderr

Re-running the same command resumes: questions already in results.jsonl are skipped.`;

/** Parsed flags. */
export interface EvalCommandOptions {
  data: string;
  subset: EvalSubset;
  approach: EvalApproach;
  llm: string;
  rootModel?: string;
  subModel?: string;
  maxIterations?: number;
  limit?: number;
  concurrency: number;
  outDir: string;
  stack?: string;
  stateDir: string;
  retryFailed: boolean;
  quiet: boolean;
  /** A new sandbox process per question instead of one reset between questions. */
  freshSandboxes?: boolean;
}

/** Parse argv (after `eval`). Throws `InvalidInputError` naming the bad flag. */
export function parseEvalArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): EvalCommandOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' }, subset: { type: 'string' }, approach: { type: 'string' }, llm: { type: 'string' },
      'root-model': { type: 'string' }, 'sub-model': { type: 'string' }, 'max-iterations': { type: 'string' },
      limit: { type: 'string' }, concurrency: { type: 'string' }, out: { type: 'string' }, stack: { type: 'string' },
      'state-dir': { type: 'string' }, 'retry-failed': { type: 'boolean' }, quiet: { type: 'boolean' },
      'fresh-sandboxes': { type: 'boolean' },
    },
    strict: true, allowPositionals: true,
  });
  if (positionals[0] !== 'longbench' || positionals.length !== 1) {
    throw new InvalidInputError(`usage: rlm eval longbench --data FILE --approach ${EVAL_APPROACHES.join('|')} (got "${positionals.join(' ')}")`);
  }
  if (!values.data) throw new InvalidInputError('--data FILE is required (the official LongBench v2 data.json, or JSON Lines)');
  if (!values.approach) throw new InvalidInputError(`--approach is required: one of ${EVAL_APPROACHES.join(', ')}`);
  const approach = choiceFlag('approach', values.approach, EVAL_APPROACHES, 'base');
  if (values.stack && approach !== 'rlm') throw new InvalidInputError('--stack applies to --approach rlm only (base and long-context call the model directly)');
  const outDir = path.resolve(values.out ?? path.join('eval-out', approach));
  return {
    data: path.resolve(values.data), approach, subset: choiceFlag('subset', values.subset, EVAL_SUBSETS, 'all'),
    llm: values.llm ?? env.RLM_LLM ?? 'bedrock',
    ...(values['root-model'] ? { rootModel: values['root-model'] } : {}),
    ...(values['sub-model'] ? { subModel: values['sub-model'] } : {}),
    maxIterations: intFlag('max-iterations', values['max-iterations']),
    limit: intFlag('limit', values.limit), concurrency: intFlag('concurrency', values.concurrency) ?? 4,
    outDir, ...(values.stack ? { stack: values.stack } : {}),
    stateDir: path.resolve(values['state-dir'] ?? path.join(outDir, '.rlm')),
    retryFailed: Boolean(values['retry-failed']), quiet: Boolean(values.quiet),
    ...(values['fresh-sandboxes'] ? { freshSandboxes: true } : {}),
  };
}

type IO = { stdout: (s: string) => void; stderr: (s: string) => void };

/**
 * The local sandbox of `rlm eval --approach rlm`: warm sessions for `concurrency` questions, each reset for a
 * later question unless `fresh` (`--fresh-sandboxes`: a new process per question).
 */
export function evalSandboxOptions(concurrency: number, fresh: boolean): { warmSessions: number; reuseSessions: boolean } {
  return { warmSessions: warmSessionsFor(concurrency), reuseSessions: !fresh };
}

/** Build the answer function of the chosen approach; returns it with a cleanup. */
async function buildAnswer(opts: EvalCommandOptions, io: IO): Promise<PreparedAnswer & { what: string }> {
  const scripted = opts.llm.startsWith('scripted:');
  if (opts.approach === 'rlm') {
    const runOptions: Partial<RunConfig> = {
      ...rlmModelOptions(
        opts.rootModel ?? (scripted ? SCRIPTED_MODEL_IDS.rootModelId : undefined),
        opts.subModel ?? (scripted ? SCRIPTED_MODEL_IDS.subModelId : undefined),
      ),
      ...(opts.maxIterations ? { maxIterations: opts.maxIterations } : {}),
    };
    let runner: RlmRunner;
    if (opts.stack) {
      const { cfn, s3, sfn } = createRemoteClients();
      runner = new StackRlmRunner({ target: await describeStackTarget(cfn, opts.stack), s3, sfn, runOptions });
    } else {
      const model = await createLanguageModel(opts.llm);
      runner = new LocalRlmRunner(await LocalEngine.start({
        model, stateDir: opts.stateDir, runDefaults: runOptions, pyodide: evalSandboxOptions(opts.concurrency, opts.freshSandboxes === true),
      }));
    }
    return { answer: (r) => answerRlm(r, runner), close: () => runner.close(), what: runner.description };
  }
  const model = await createLanguageModel(opts.llm);
  const modelId = opts.rootModel ?? (scripted ? SCRIPTED_MODEL_IDS.rootModelId : DEFAULT_ROOT_MODEL_ID);
  const bedrock = opts.llm.trim() === 'bedrock';
  const plan = planDirectCall(opts.approach, modelId, bedrock);
  if (!plan) {
    throw new ConfigError(`--approach long-context needs a model with a 1M-token window; on Bedrock that is Claude Sonnet 4 or 4.5 (got ${modelId})`);
  }
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  const countTokens = bedrock
    ? bedrockTokenCounter(new BedrockRuntimeClient(region ? { region } : {}), (id, why) => io.stderr(`eval: CountTokens unavailable for ${id} (${why}); using the ${'chars/4'} estimate`))
    : undefined;
  return {
    answer: (r) => answerDirect(r, { model, modelId, plan, approach: opts.approach as 'base' | 'long-context', ...(countTokens ? { countTokens } : {}) }),
    close: async () => {},
    what: `${model.description} ${modelId}, ${plan.contextTokens.toLocaleString('en-US')}-token window`,
  };
}

/**
 * `rlm eval ...`: returns the exit code (0 all selected questions finished; 1 stopped early or some
 * deferred, re-run to resume; 2 bad flags or data). Prints the Markdown summary on stdout.
 */
export async function evalCommand(argv: string[], io: IO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.stdout(EVAL_HELP); return 0; }
  let report: HarnessReport;
  try {
    const opts = parseEvalArgs(argv);
    const log = opts.quiet ? () => {} : io.stderr;
    report = await runEvaluation(opts, {
      prepare: async () => {
        const built = await buildAnswer(opts, io);
        log(`eval: ${opts.approach} with ${built.what}; writing ${opts.outDir}`);
        return built;
      },
    }, log);
  } catch (err) {
    const { name, message } = describeError(err);
    io.stderr(`rlm eval: ${name}: ${message}`);
    return err instanceof InvalidInputError || err instanceof ConfigError || name === 'TypeError' ? 2 : 1;
  }
  io.stdout(report.markdown);
  if (report.aborted) io.stderr(`rlm eval: stopped early: ${report.aborted}`);
  if (report.deferred.length) io.stderr(`rlm eval: ${report.deferred.length} question(s) deferred (throttled/unavailable); re-run to resume`);
  return report.aborted || report.deferred.length ? 1 : 0;
}
