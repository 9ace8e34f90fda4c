/**
 * `runRlm`: one RLM run from code, without the CLI. It runs the same pipeline `rlm run` does (the state
 * machine definition, the Lambda handlers, an embedded DynamoDB, a Pyodide sandbox) on this machine.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createLanguageModel } from '../lambdas/adapters/models';
import { toFileUri } from '../lambdas/adapters/documents';
import { resolveRunConfig } from '../lambdas/core/config';
import { InvalidInputError, RunCancelledError } from '../lambdas/core/errors';
import type { LanguageModel, ProgressListener } from '../lambdas/core/ports';
import type { PriceTable } from '../lambdas/core/pricing';
import type { RunConfig, RunSummary } from '../lambdas/core/types';
import { SCRIPTED_MODEL_IDS } from '../bin/cli/run-options';
import { LocalEngine } from '../bin/local/local-engine';

/** Run settings `runRlm` and `runBatch` accept (each optional; defaults in `DEFAULT_RUN_CONFIG`). */
export type RunSettings = Partial<RunConfig>;

/** Where the models are: a spec (`bedrock`, `openai`, `openai:URL`, `scripted:FILE`) or your own `LanguageModel`. */
export type LlmOption = string | LanguageModel;

/** Options of `runRlm`. */
export interface RunRlmOptions extends RunSettings {
  /** The question to answer. */
  question: string;
  /** Files or directories (every text file in them), or `file://` URIs: one or several. */
  documents: string | readonly string[];
  /**
   * Root and sub model: a spec string or a `LanguageModel`.
   * @default 'bedrock' (or env `RLM_LLM`)
   */
  llm?: LlmOption;
  /**
   * Where results and trajectories are written.
   * @default '.rlm'
   */
  stateDir?: string;
  /** Price table for the cost estimate (USD per 1M tokens, by model-ID substring). */
  prices?: PriceTable;
  /** Called as the run goes: turns, model calls, cells, sub-calls. */
  onProgress?: ProgressListener;
  /**
   * Cancels the run when it fires, as Ctrl-C cancels `rlm run`: model calls are aborted, the cell is stopped, and
   * the run resolves with `status: 'cancelled'` and its transcript kept. Already aborted: the run is not started.
   */
  signal?: AbortSignal;
}

/** Keys of `runRlm`/`runBatch` options that are not run settings. */
const NON_RUN_KEYS = new Set(['question', 'documents', 'llm', 'stateDir', 'prices', 'onProgress', 'signal', 'manifest', 'concurrency', 'outDir', 'onItem']);

/** The run-setting part of an options object, validated (throws `ConfigError` naming an unknown or bad key). */
export function runSettingsOf(options: object, llm: LlmOption): RunSettings {
  const settings = Object.fromEntries(Object.entries(options).filter(([k, v]) => !NON_RUN_KEYS.has(k) && v !== undefined)) as RunSettings;
  if (typeof llm === 'string' && llm.startsWith('scripted:')) {
    settings.rootModelId ??= SCRIPTED_MODEL_IDS.rootModelId;
    settings.subModelId ??= SCRIPTED_MODEL_IDS.subModelId;
  }
  resolveRunConfig(settings);
  return settings;
}

/**
 * A signal that fires when `signal` does, with a `RunCancelledError` as its reason (what Ctrl-C gives the CLI), so
 * the run records `cancelled` with a reason that says so, whatever the caller aborted with.
 */
export function cancellingSignal(signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const fire = () => {
    const r = signal.reason as { name?: unknown; message?: unknown } | undefined;
    // Duck-typed: the default reason is a DOMException, not an Error of this realm under every runner.
    const isDefault = r === undefined || r?.name === 'AbortError';
    const said = typeof r?.message === 'string' ? r.message : String(r);
    controller.abort(r instanceof RunCancelledError ? r : new RunCancelledError(isDefault ? 'cancelled through the AbortSignal' : `cancelled: ${said}`));
  };
  if (signal.aborted) fire();
  else signal.addEventListener('abort', fire, { once: true });
  return controller.signal;
}

/** The model an `llm` option names. */
export async function modelOf(llm: LlmOption | undefined): Promise<LanguageModel> {
  if (llm !== undefined && typeof llm !== 'string') return llm;
  return createLanguageModel(llm ?? process.env.RLM_LLM ?? 'bedrock');
}

/**
 * Run one RLM over `documents` and resolve with its summary (`answer`, `stopReason`, `iterations`, `usage`,
 * `costUsd`, `trajectoryPath`). A run that fails resolves too, with `status: 'failed'` and `error`, and one
 * cancelled through `signal` with `status: 'cancelled'`; bad options
 * (no question, a missing document, an unknown or out-of-range setting) reject with `InvalidInputError`/`ConfigError`.
 */
export async function runRlm(options: RunRlmOptions): Promise<RunSummary> {
  if (typeof options?.question !== 'string' || !options.question.trim()) throw new InvalidInputError('runRlm: question is required');
  const docs = typeof options.documents === 'string' ? [options.documents] : [...(options.documents ?? [])];
  if (!docs.length) throw new InvalidInputError('runRlm: at least one document is required');
  for (const d of docs) {
    if (!/^file:/i.test(d) && !existsSync(d)) throw new InvalidInputError(`runRlm: document ${d}: no such file or directory`);
  }
  const llm = options.llm ?? process.env.RLM_LLM ?? 'bedrock';
  const runDefaults = runSettingsOf(options, llm);
  const model = await modelOf(llm);
  const engine = await LocalEngine.start({
    model, runDefaults,
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
    ...(options.prices ? { prices: options.prices } : {}),
    ...(options.onProgress ? { progress: options.onProgress } : {}),
    ...(options.signal ? { signal: cancellingSignal(options.signal) } : {}),
  });
  try {
    return await engine.run({ question: options.question, documents: docs.map((d) => toFileUri(/^file:/i.test(d) ? d : path.resolve(d))) });
  } finally {
    await engine.close();
  }
}
