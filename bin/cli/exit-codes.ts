/**
 * The one rule for `rlm` exit codes, decided by error class (never by message text):
 * 0 succeeded · 1 the run (or command) failed · 2 bad usage: arguments, configuration or input files
 * refused before any work · 128+N cancelled by signal N (130 Ctrl-C/SIGINT, 143 SIGTERM).
 */
import { constants } from 'node:os';
import {
  ConfigError, DocumentError, InvalidInputError, ModelNotConfiguredError, RunCancelledError,
} from '../../lambdas/core/errors';
import type { RunSummary } from '../../lambdas/core/types';

/** Exit codes of `rlm`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Errors that mean "the user asked for something that cannot run": bad flags, config, input files. */
export const USAGE_ERROR_CLASSES = [InvalidInputError, DocumentError, ConfigError, ModelNotConfiguredError] as const;

/** Their names: how such an error is recognised after it crossed the state machine (Step Functions carries names). */
const USAGE_ERROR_NAMES: ReadonlySet<string> = new Set(USAGE_ERROR_CLASSES.map((c) => c.name));

/**
 * `node:util` parseArgs throws errors with an `ERR_PARSE_ARGS_*` code for unknown/ill-typed flags
 * (Node's documented error codes; `instanceof TypeError` is unreliable across realms, e.g. under jest).
 */
function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Exit code for an error a command threw (before or outside a run). */
export function exitCodeForError(err: unknown, cancelledBy?: NodeJS.Signals): number {
  if (err instanceof RunCancelledError) return signalExitCode(cancelledBy ?? 'SIGINT');
  if (USAGE_ERROR_CLASSES.some((c) => err instanceof c) || isParseArgsError(err)) return EXIT.usage;
  return EXIT.failed;
}

/**
 * Exit code for a run's summary. A run that failed before its first turn with a usage error (a
 * missing or binary document, a bad option in the request) is 2, like a bad flag; other failures are 1.
 */
export function exitCodeForSummary(summary: Pick<RunSummary, 'status' | 'iterations' | 'error'>, cancelledBy?: NodeJS.Signals): number {
  switch (summary.status) {
    case 'succeeded': return EXIT.ok;
    case 'cancelled': return signalExitCode(cancelledBy ?? 'SIGINT');
    case 'running': return EXIT.failed;
    case 'failed':
      return summary.iterations === 0 && summary.error && USAGE_ERROR_NAMES.has(summary.error.name) ? EXIT.usage : EXIT.failed;
  }
}
