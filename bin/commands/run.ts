/** `rlm run`: one RLM run on this machine, through the same state machine and handlers as on AWS. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createLanguageModel, RecordingModel } from '../../lambdas/adapters/models';
import { InvalidInputError } from '../../lambdas/core/errors';
import type { LanguageModel, ProgressListener, RetryInfo } from '../../lambdas/core/ports';
import type { PriceTable } from '../../lambdas/core/pricing';
import type { RunConfig, RunSummary, StartRunRequest } from '../../lambdas/core/types';
import { choiceFlag, pricesFlag } from '../cli/args';
import { RUN_OPTION_FLAGS, runOptionsFromFlags } from '../cli/run-options';
import { stderrProgress } from '../cli/progress';
import { exitCodeForSummary } from '../cli/exit-codes';
import { LocalEngine } from '../local/local-engine';
import { newRunId } from '../cli/run-id';
import { toFileUri } from '../../lambdas/adapters/documents';

/** Help text of `rlm run`. */
export const RUN_HELP = `rlm run --document PATH [--document PATH ...] --question TEXT [options]

  --document PATH        a text file or a directory (every text file in it); repeat for several documents
  --question TEXT        the question to answer
  --llm SPEC             bedrock (default) | openai | openai:URL | scripted:FILE   (env RLM_LLM)
  --root-model ID        root model ID (default a Claude Sonnet-class model on Bedrock)
  --sub-model ID         sub model ID used by llm_query (default Claude Haiku 4.5)
  --max-iterations N     root turns before the last tool-less call (default 30)
  --max-output-chars N   cell output shown to the root model (default 20000)
  --cell-timeout SEC     per-cell time limit in seconds (default 300)
  --sub-concurrency N    llm_query_batched concurrency (default 16)
  --max-sub-calls N      optional cap on sub-calls
  --max-tokens N         optional cap on root+sub tokens
  --max-cost USD         optional cap on estimated cost
  --prices FILE          JSON price table {"model-id-substring": {"input":3,"output":15}} (USD per 1M tokens)
  --output text|json     text: the answer on stdout; json: one object with answer, stopReason, usage...
  --record FILE          write a scripted file that replays this run offline
  --state-dir DIR        where results and trajectories go (default .rlm)
  --quiet                no per-turn progress on stderr`;

/** Parsed `rlm run` flags. */
export interface RunCommandOptions {
  documents: string[];
  question: string;
  llm: string;
  output: 'text' | 'json';
  record?: string;
  stateDir: string;
  quiet: boolean;
  runDefaults: Partial<RunConfig>;
  prices?: PriceTable;
}

/** Parse argv (after `run`). Throws `InvalidInputError` naming the bad flag. */
export function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RunCommandOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      document: { type: 'string', multiple: true }, question: { type: 'string' }, llm: { type: 'string' },
      ...RUN_OPTION_FLAGS,
      prices: { type: 'string' }, output: { type: 'string' }, record: { type: 'string' }, 'state-dir': { type: 'string' },
      quiet: { type: 'boolean' },
    },
    strict: true, allowPositionals: false,
  });
  if (!values.question?.trim()) throw new InvalidInputError('--question is required');
  if (!values.document?.length) throw new InvalidInputError('at least one --document PATH is required');
  for (const d of values.document) {
    if (!existsSync(d)) throw new InvalidInputError(`--document ${d}: no such file or directory`);
  }
  const llm = values.llm ?? env.RLM_LLM ?? 'bedrock';
  const runDefaults = runOptionsFromFlags(values, { scripted: llm.startsWith('scripted:') });
  const prices = values.prices ? pricesFlag(values.prices) : undefined;
  return {
    documents: values.document, question: values.question, llm,
    output: choiceFlag('output', values.output, ['text', 'json'] as const, 'text'),
    ...(values.record ? { record: values.record } : {}),
    stateDir: values['state-dir'] ?? '.rlm', quiet: Boolean(values.quiet), runDefaults,
    ...(prices ? { prices } : {}),
  };
}

/** How a command is cancelled: the signal that fires, and which OS signal fired it (for the exit code). */
export interface CommandCancellation {
  signal: AbortSignal;
  received(): NodeJS.Signals | undefined;
}

/** One stderr line for a retry an adapter is about to make. */
export function retryLine(info: RetryInfo): string {
  const wait = `${(info.delayMs / 1000).toFixed(1)} s`;
  // Root turns are retried by the state machine with full jitter: the delay given is its upper bound.
  return `rlm: ${info.role} model call failed (${info.error}); retry ${info.attempt}/${info.maxAttempts} in ${info.role === 'root' ? `up to ${wait}` : wait}`;
}

/** Per-turn lines and retry lines on stderr (nothing with --quiet). */
export function cliProgress(write: (line: string) => void): ProgressListener {
  const base = stderrProgress(write);
  return { ...base, retrying: base.retrying ?? ((info) => write(retryLine(info))) };
}

/**
 * Run it; returns the summary and the process exit code (see bin/cli/exit-codes.ts: 0 succeeded,
 * 1 failed, 2 refused input, 130/143 cancelled by SIGINT/SIGTERM through `cancel`).
 */
export async function runCommand(
  opts: RunCommandOptions, io: { stdout: (s: string) => void; stderr: (s: string) => void }, cancel?: CommandCancellation,
): Promise<{ summary: RunSummary; exitCode: number }> {
  const base: LanguageModel = await createLanguageModel(opts.llm);
  const recorder = opts.record ? new RecordingModel(base) : undefined;
  const model = recorder ?? base;
  const engine = await LocalEngine.start({
    model, stateDir: opts.stateDir, runDefaults: opts.runDefaults,
    ...(opts.prices ? { prices: opts.prices } : {}),
    ...(opts.quiet ? {} : { progress: cliProgress(io.stderr) }),
    ...(cancel ? { signal: cancel.signal } : {}),
  });
  let summary: RunSummary;
  try {
    const documents = opts.documents.map((d) => toFileUri(path.resolve(d)));
    const runId = newRunId();
    writeLaunchRecord(engine.stateDir, runId, { llm: opts.llm, request: { question: opts.question, documents }, runDefaults: opts.runDefaults });
    // The run ID first, so a killed run can be resumed: rlm resume RUN_ID --state-dir DIR
    io.stderr(`rlm: run ${runId} (resume with: rlm resume ${runId} --state-dir ${engine.stateDir})`);
    if (!opts.quiet) io.stderr(`rlm: ${opts.documents.length} document path(s), model ${model.description}; state in ${engine.stateDir}`);
    summary = await engine.run({ question: opts.question, documents }, { runId });
  } finally {
    await engine.close();
  }
  if (recorder && opts.record) {
    recorder.save(opts.record);
    if (!opts.quiet) io.stderr(`rlm: recorded a replay script to ${opts.record}`);
  }
  printSummary(summary, opts.output, io);
  return { summary, exitCode: exitCodeForSummary(summary, cancel?.received()) };
}

/** Print a run's outcome the way `rlm run` does (shared with `rlm resume`). */
export function printSummary(summary: RunSummary, output: 'text' | 'json', io: { stdout: (s: string) => void; stderr: (s: string) => void }): void {
  if (output === 'json') io.stdout(JSON.stringify(summary));
  else {
    if (summary.answer !== null) io.stdout(summary.answer);
    io.stderr(`rlm: ${summary.status} (${summary.stopReason}${summary.stopDetail ? `: ${summary.stopDetail}` : ''}) after ${summary.iterations} turns · root ${summary.usage.rootInputTokens + summary.usage.rootOutputTokens} tok · ${summary.usage.subCalls} sub-calls · ~$${summary.costUsd.toFixed(4)} · trajectory ${summary.trajectoryPath}`);
    if (summary.error) io.stderr(`rlm: error ${summary.error.name}: ${summary.error.message}`);
  }
}

/** How a local run was launched (what `rlm resume` needs that the run item does not hold). */
export interface LaunchRecord {
  llm: string;
  /** The request and defaults, so a run killed before its run item was written can start again. */
  request?: StartRunRequest;
  runDefaults?: Partial<RunConfig>;
}

const launchFile = (stateDir: string, runId: string) => path.join(stateDir, 'launch', `${runId}.json`);

/** Write `<stateDir>/launch/<runId>.json`. */
export function writeLaunchRecord(stateDir: string, runId: string, record: LaunchRecord): void {
  mkdirSync(path.dirname(launchFile(stateDir, runId)), { recursive: true });
  writeFileSync(launchFile(stateDir, runId), JSON.stringify(record));
}

/** The launch record of a run, if `rlm run` wrote one. */
export function readLaunchRecord(stateDir: string, runId: string): LaunchRecord | undefined {
  try {
    return JSON.parse(readFileSync(launchFile(stateDir, runId), 'utf8')) as LaunchRecord;
  } catch {
    return undefined;
  }
}
