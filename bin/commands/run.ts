/** `rlm run`: one RLM run on this machine, through the same state machine and handlers as on AWS. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLanguageModel, RecordingModel } from '../../lambdas/adapters/models';
import { InvalidInputError } from '../../lambdas/core/errors';
import type { LanguageModel, ProgressListener, RetryInfo } from '../../lambdas/core/ports';
import type { PriceTable } from '../../lambdas/core/pricing';
import type { RunConfig, RunSummary, StartRunRequest } from '../../lambdas/core/types';
import { choiceFlag, pricesFlag } from '../cli/args';
import { parseFlags, QUESTION_FLAGS, questionOf } from '../cli/parse';
import { RUN_OPTION_FLAGS, runOptionsFromFlags } from '../cli/run-options';
import { stderrProgress, ttyStderr } from '../cli/progress';
import { EXIT, exitCodeForSummary } from '../cli/exit-codes';
import { LocalEngine } from '../local/local-engine';
import { newRunId } from '../cli/run-id';
import { toFileUri } from '../../lambdas/adapters/documents/local-document-store';

export { RUN_HELP } from '../cli/help';

/** Parsed `rlm run` flags. */
export interface RunCommandOptions {
  documents: string[];
  question: string;
  llm: string;
  output: 'text' | 'json';
  record?: string;
  stateDir: string;
  quiet: boolean;
  /** Exit 3 unless the run ended with FINAL. */
  strict?: boolean;
  runDefaults: Partial<RunConfig>;
  prices?: PriceTable;
}

/** Parse argv (after `run`). Throws `InvalidInputError` naming the bad flag. */
export function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RunCommandOptions {
  const { values } = parseFlags('run', argv, {
    document: { type: 'string', multiple: true, short: 'd' }, ...QUESTION_FLAGS, llm: { type: 'string', short: 'l' },
    ...RUN_OPTION_FLAGS,
    prices: { type: 'string' }, output: { type: 'string', short: 'o' }, record: { type: 'string' }, 'state-dir': { type: 'string' },
    quiet: { type: 'boolean' }, strict: { type: 'boolean' },
  });
  const question = questionOf(values);
  if (!values.document?.length) throw new InvalidInputError('at least one --document PATH is required');
  for (const d of values.document) {
    if (!existsSync(d)) throw new InvalidInputError(`--document ${d}: no such file or directory`);
  }
  const llm = values.llm ?? env.RLM_LLM ?? 'bedrock';
  const runDefaults = runOptionsFromFlags(values, { scripted: llm.startsWith('scripted:') });
  const prices = values.prices ? pricesFlag(values.prices) : undefined;
  return {
    documents: values.document, question, llm,
    output: choiceFlag('output', values.output, ['text', 'json'] as const, 'text'),
    ...(values.record ? { record: values.record } : {}),
    stateDir: values['state-dir'] ?? '.rlm', quiet: Boolean(values.quiet), runDefaults,
    ...(values.strict ? { strict: true } : {}),
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

/** Per-turn lines and retry lines on stderr for callers that want plain lines (no live line). */
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
  const progress = opts.quiet ? undefined : stderrProgress(io.stderr, { tty: ttyStderr() });
  const engine = await LocalEngine.start({
    model, stateDir: opts.stateDir, runDefaults: opts.runDefaults,
    ...(opts.prices ? { prices: opts.prices } : {}),
    ...(progress ? { progress } : {}),
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
    progress?.stop();
    await engine.close();
  }
  if (recorder && opts.record) {
    recorder.save(opts.record);
    if (!opts.quiet) io.stderr(`rlm: recorded a replay script to ${opts.record}`);
  }
  printSummary(summary, opts.output, io);
  return { summary, exitCode: exitCodeOf(summary, opts.strict, cancel?.received()) };
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

/**
 * The exit code of a finished `rlm run`: the rule of bin/cli/exit-codes.ts, and with `strict` 3 when the run
 * succeeded without FINAL (iteration cap, a limit).
 */
export function exitCodeOf(summary: RunSummary, strict = false, cancelledBy?: NodeJS.Signals): number {
  const code = exitCodeForSummary(summary, cancelledBy);
  return code === EXIT.ok && strict && summary.stopReason !== 'final' ? EXIT.notFinal : code;
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
