/** The run-option flags shared by `rlm run`, `rlm batch` and `rlm submit`, and their parsing into `RunConfig`. */
import { MIN_CELL_TIME_MS } from '../../lambdas/core/config';
import { InvalidInputError } from '../../lambdas/core/errors';
import type { RunConfig } from '../../lambdas/core/types';
import { intFlag, numberFlag } from './args';

const str = { type: 'string' } as const;

/** `parseArgs` option specs of the run options. */
export const RUN_OPTION_FLAGS = {
  'root-model': str, 'sub-model': str, 'max-iterations': str, 'max-output-chars': str, 'cell-timeout': str,
  'sub-concurrency': str, 'max-sub-calls': str, 'max-tokens': str, 'max-cost': str,
} as const;

/** Parsed values of `RUN_OPTION_FLAGS`. */
export type RunOptionValues = Partial<Record<keyof typeof RUN_OPTION_FLAGS, string>>;

/** Model IDs used with a scripted model when none is given: priced at 0, so costs do not pretend to be Claude's. */
export const SCRIPTED_MODEL_IDS = { rootModelId: 'scripted-root', subModelId: 'scripted-sub' } as const;

/**
 * Turn run-option flags into run-config overrides (only the flags given). With `scripted`, missing model
 * IDs become the scripted ones. Throws `InvalidInputError` naming a bad flag.
 */
export function runOptionsFromFlags(values: RunOptionValues, opts: { scripted?: boolean } = {}): Partial<RunConfig> {
  const cellTimeout = numberFlag('cell-timeout', values['cell-timeout']);
  if (cellTimeout !== undefined && cellTimeout * 1000 < MIN_CELL_TIME_MS) {
    throw new InvalidInputError(`--cell-timeout must be at least ${MIN_CELL_TIME_MS / 1000} seconds (a shorter cell could never start), got ${cellTimeout}`);
  }
  const options: Partial<RunConfig> = {
    rootModelId: values['root-model'] ?? (opts.scripted ? SCRIPTED_MODEL_IDS.rootModelId : undefined),
    subModelId: values['sub-model'] ?? (opts.scripted ? SCRIPTED_MODEL_IDS.subModelId : undefined),
    maxIterations: intFlag('max-iterations', values['max-iterations']),
    maxOutputChars: intFlag('max-output-chars', values['max-output-chars']),
    cellTimeoutMs: cellTimeout === undefined ? undefined : Math.round(cellTimeout * 1000),
    subConcurrency: intFlag('sub-concurrency', values['sub-concurrency']),
    maxSubCalls: intFlag('max-sub-calls', values['max-sub-calls']),
    maxTotalTokens: intFlag('max-tokens', values['max-tokens']),
    maxCostUsd: numberFlag('max-cost', values['max-cost']),
  };
  for (const k of Object.keys(options) as Array<keyof RunConfig>) if (options[k] === undefined) delete options[k];
  return options;
}
