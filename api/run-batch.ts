/** `runBatch`: every line of a batch manifest (JSON Lines) on this machine, from code (what `rlm batch` does). */
import { runBatch as runLocalBatch, type BatchOutcome } from '../bin/commands/batch';
import type { PriceTable } from '../lambdas/core/pricing';
import { cancellingSignal, runSettingsOf, type LlmOption, type RunSettings } from './run-rlm';

/** Options of `runBatch`. */
export interface RunBatchOptions extends RunSettings {
  /** The manifest file: one `{"id", "question", "documents", "options"}` object a line (schemas/batch-line.schema.json). */
  manifest: string;
  /**
   * Root and sub model spec (`bedrock`, `openai`, `openai:URL`, `scripted:FILE`).
   * @default 'bedrock' (or env `RLM_LLM`)
   */
  llm?: Extract<LlmOption, string>;
  /**
   * Items running at once.
   * @default 4
   */
  concurrency?: number;
  /**
   * Where `results.jsonl` and `summary.json` go.
   * @default '<manifest folder>/<name>.results/'
   */
  outDir?: string;
  /**
   * Where run results and trajectories go.
   * @default '.rlm'
   */
  stateDir?: string;
  /** Price table for the cost estimate. */
  prices?: PriceTable;
  /** One line per finished item (what `rlm batch` prints on stderr). */
  onItem?: (line: string) => void;
  /**
   * Cancels the batch when it fires (as Ctrl-C cancels `rlm batch`): items in flight are recorded `cancelled` with
   * their transcripts, items not started fail as cancelled; the summary and result lines are still written.
   */
  signal?: AbortSignal;
}

/** Run every item; resolves with the batch summary, the result lines and the folder they were written to. */
export async function runBatch(options: RunBatchOptions): Promise<BatchOutcome> {
  const { manifest, llm = process.env.RLM_LLM ?? 'bedrock', concurrency = 4, outDir, stateDir = '.rlm', prices, onItem, signal, ...rest } = options;
  const runDefaults = runSettingsOf(rest, llm);
  return runLocalBatch(
    { manifest, llm, concurrency, stateDir, quiet: !onItem, runDefaults, ...(outDir ? { outDir } : {}), ...(prices ? { prices } : {}) },
    { stdout: () => undefined, stderr: (s) => onItem?.(s) },
    signal ? { signal: cancellingSignal(signal) } : undefined,
  );
}
