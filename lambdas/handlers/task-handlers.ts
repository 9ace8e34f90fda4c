/**
 * The four state-machine task handlers, and the stopped-execution handler, as factories over injected
 * dependencies. The Lambda entry points (`start-run.ts`, ...) bind them to AWS adapters; the local runner
 * binds the task handlers to embedded ones.
 */
import type { EngineDeps } from '../core/engine-deps';
import { InvalidInputError } from '../core/errors';
import {
  endStoppedRun, finalizeRun, recordFailure, runRootTurn, startRun, stoppedExecutionOf, type RecordFailureInput, type RunEnded, type StoppedRunResult,
} from '../core/run';
import type { RunConfig, RunState } from '../core/types';
import { isValidRunId, runIdProblem } from '../core/bucket-layout';

/** Per-deployment settings the handlers apply to every run. */
export interface HandlerSettings {
  /** Defaults under each request's `options` (from the stack's config or the CLI flags). */
  runDefaults: Partial<RunConfig>;
  /** Days until DynamoDB TTL may delete a run's items; undefined keeps them. */
  ttlDays?: number;
  /**
   * Models a run may choose in its `options` (on AWS, exactly what IAM allows). Absent = any model.
   * A run naming another model is refused at StartRun instead of failing later inside the sandbox.
   */
  allowedModels?: { root: string[]; sub: string[] };
  /** Largest total input of a run in characters (default `DEFAULT_MAX_INPUT_CHARS`); StartRun refuses more. */
  maxInputChars?: number;
}

/** Refuse run options that name a model this deployment may not invoke. */
function checkAllowedModels(request: unknown, allowed: HandlerSettings['allowedModels']): void {
  if (!allowed) return;
  const options = (request as { options?: { rootModelId?: unknown; subModelId?: unknown } } | null)?.options ?? {};
  const check = (field: 'rootModelId' | 'subModelId', list: string[]) => {
    const v = options[field];
    if (v !== undefined && !list.includes(String(v))) {
      throw new InvalidInputError(`options.${field} "${String(v)}" is not allowed by this deployment (allowed: ${list.join(', ')})`);
    }
  };
  check('rootModelId', allowed.root);
  check('subModelId', allowed.sub);
}

/** Invocation context the handlers use (a subset of the Lambda context). */
export interface InvocationContext {
  getRemainingTimeInMillis?: () => number;
}

/** Time StartRun keeps back from its deadline for writing the run item after the sandbox setup. */
const SETUP_SAFETY_MARGIN_MS = 10_000;

/** The invocation's deadline (epoch ms) minus `marginMs`, from the Lambda context; `{}` without one. */
function deadlineOf(context: InvocationContext | undefined, marginMs = 0): { deadline?: number } {
  const remaining = context?.getRemainingTimeInMillis?.();
  return remaining === undefined ? {} : { deadline: Date.now() + remaining - marginMs };
}

function requireRunId(event: unknown): string {
  const runId = (event as { runId?: unknown } | null)?.runId;
  if (!isValidRunId(runId)) throw new InvalidInputError(runIdProblem(runId));
  return runId;
}

/** StartRun: `{runId, request}` -> RunState. */
export function createStartRunHandler(deps: EngineDeps, settings: HandlerSettings) {
  return async (event: unknown, context?: InvocationContext): Promise<RunState> => {
    const runId = requireRunId(event);
    const request = (event as { request?: unknown }).request;
    checkAllowedModels(request, settings.allowedModels);
    return startRun(deps, { runId, request }, settings.runDefaults, settings.ttlDays, {
      ...deadlineOf(context, SETUP_SAFETY_MARGIN_MS), ...(settings.maxInputChars ? { maxInputChars: settings.maxInputChars } : {}),
    });
  };
}

/** RootTurn: `{runId, iteration}` -> RunState. The deadline comes from the Lambda's remaining time. */
export function createRootTurnHandler(deps: EngineDeps) {
  return async (event: unknown, context?: InvocationContext): Promise<RunState> => {
    return runRootTurn(deps, { runId: requireRunId(event) }, deadlineOf(context));
  };
}

/** FinalizeRun: `{runId}` -> RunEnded. */
export function createFinalizeRunHandler(deps: EngineDeps) {
  return async (event: unknown): Promise<RunEnded> => finalizeRun(deps, requireRunId(event));
}

/** RecordFailure: `{runId, error: {Error, Cause}, input}` -> RunEnded with errorName/errorMessage for the Fail state. */
export function createRecordFailureHandler(deps: EngineDeps) {
  return async (event: unknown): Promise<RunEnded> => {
    const runId = requireRunId(event);
    const e = event as RecordFailureInput;
    return recordFailure(deps, { runId, error: e.error, input: e.input });
  };
}

/**
 * EndStoppedRun: a "Step Functions Execution Status Change" event (ABORTED, TIMED_OUT or FAILED, from the rule
 * on the run state machine) -> what was done to the execution's run; `{ action: 'ignored' }` for an event of
 * another status or of an execution whose name is no run ID.
 */
export function createEndStoppedRunHandler(deps: EngineDeps) {
  return async (event: unknown): Promise<StoppedRunResult | { action: 'ignored' }> => {
    const execution = stoppedExecutionOf(event);
    if (!execution) {
      deps.logger.info('status-change event not acted on', { detail: (event as { detail?: unknown } | null)?.detail });
      return { action: 'ignored' };
    }
    return endStoppedRun(deps, execution);
  };
}
