import { computeTotals, usageOf, zeroTotals } from './accounting';
import { resolveRunConfig } from './config';
import { isoNow, sandboxOptionsFor, type EngineDeps } from './engine-deps';
import { describeError, InvalidInputError, RunNotFoundError, RunStateConflictError } from './errors';
import type { RunOutcome } from './ports';
import { requirePrices, unpricedModelsOf, type PriceTable } from './pricing';
import { validateStartRequest } from './start-request';
import type { DocumentRef, RunConfig, RunRecord, RunState, RunSummary, StartRunRequest, TurnRecord } from './types';

/** Input of the StartRun task: the execution input and the execution name (= run ID). */
export interface StartRunInput {
  runId: string;
  request: unknown;
}

/** Validate the request, resolve documents, start the sandbox, and create the run item. Idempotent per run ID. */
export async function startRun(deps: EngineDeps, input: StartRunInput, defaults: Partial<RunConfig> = {}, ttlDays?: number): Promise<RunState> {
  if (!input.runId || typeof input.runId !== 'string') throw new InvalidInputError('runId is missing');
  const request = validateStartRequest(input.request);
  const config = resolveRunConfig({ ...defaults, ...(request.options ?? {}) });
  requirePrices(config, deps.prices);
  try {
    return runStateOf(await deps.store.getRun(input.runId));
  } catch (err) {
    if (!(err instanceof RunNotFoundError)) throw err;
  }
  const documents = await resolveDocuments(deps, request);
  const { session, loaded } = await deps.sandbox.start(sandboxOptionsFor({ runId: input.runId, documents, config }));
  const now = isoNow(deps);
  const run: RunRecord = {
    runId: input.runId, status: 'running', question: request.question, documents: loaded.documents, config,
    sandboxSessionId: session.sessionId, iterations: 0, totals: zeroTotals(), createdAt: now, updatedAt: now,
    contextChars: loaded.totalChars, contextPreview: loaded.preview,
    ...(ttlDays ? { expiresAt: Math.floor((deps.now ?? Date.now)() / 1000) + ttlDays * 86_400 } : {}),
    ...(request.tags ? { tags: request.tags } : {}),
  };
  try {
    await deps.store.createRun(run);
  } catch (err) {
    await session.close();
    if (!(err instanceof RunStateConflictError)) throw err;
    return runStateOf(await deps.store.getRun(input.runId));
  }
  deps.logger.info('run started', { runId: run.runId, documents: documents.length, contextChars: loaded.totalChars });
  return { runId: run.runId, iteration: 0, done: false };
}

/** The state-machine state of a stored run (what a task returns when the run is already past it). */
export function runStateOf(run: RunRecord): RunState {
  return { runId: run.runId, iteration: run.iterations, done: run.status !== 'running', stopReason: run.stopReason };
}

/** Expand every document URI (directories, S3 prefixes) and make the names unique. */
async function resolveDocuments(deps: EngineDeps, request: StartRunRequest): Promise<DocumentRef[]> {
  const refs: DocumentRef[] = [];
  for (const entry of request.documents) {
    const { uri, name } = typeof entry === 'string' ? { uri: entry, name: undefined } : entry;
    const found = await deps.documents.resolve(uri);
    for (const ref of found) refs.push(name && found.length === 1 ? { ...ref, name } : ref);
  }
  return uniqueNames(refs);
}

/** Give repeated names a ` (2)`, ` (3)`... suffix that no other document already uses. */
export function uniqueNames(refs: DocumentRef[]): DocumentRef[] {
  const taken = new Set(refs.map((r) => r.name));
  const used = new Set<string>();
  return refs.map((ref) => {
    let name = ref.name;
    for (let n = 2; used.has(name); n++) {
      const candidate = `${ref.name} (${n})`;
      if (!taken.has(candidate) && !used.has(candidate)) name = candidate;
    }
    used.add(name);
    return name === ref.name ? ref : { ...ref, name };
  });
}

/**
 * The user-facing summary of a run. Pass the price table the turns were accounted with (`deps.prices`),
 * or the cost is recomputed under the default prices.
 */
export function summarize(run: RunRecord, turns: TurnRecord[], prices?: PriceTable, extra: Partial<RunSummary> = {}): RunSummary {
  const totals = turns.length ? computeTotals(turns, run.config, prices) : run.totals;
  const outcome = turns[turns.length - 1]?.outcome;
  const unpriced = unpricedModelsOf(turns, run.config, prices);
  return {
    runId: run.runId,
    status: run.status,
    answer: run.answer ?? outcome?.answer ?? null,
    stopReason: run.stopReason ?? outcome?.stopReason ?? 'error',
    ...(run.stopDetail ?? outcome?.detail ? { stopDetail: run.stopDetail ?? outcome?.detail } : {}),
    iterations: turns.length || run.iterations,
    usage: usageOf(totals),
    costUsd: Number(totals.costUsd.toFixed(6)),
    ...(unpriced.length ? { unpricedModels: unpriced } : {}),
    ...(run.error ? { error: run.error } : {}),
    ...extra,
  };
}

/** Write the result (`summary` plus the question) and the full trajectory as artifacts; returns their URIs. */
export async function writeArtifacts(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], summary: RunSummary): Promise<{ resultUri: string; trajectoryUri: string }> {
  const trajectoryUri = await deps.documents.putArtifact(`${run.runId}/trajectory.json`, JSON.stringify({ run, turns }, null, 2), 'application/json');
  const result = { ...summary, trajectoryPath: trajectoryUri, question: run.question };
  const resultUri = await deps.documents.putArtifact(`${run.runId}/result.json`, JSON.stringify(result, null, 2), 'application/json');
  return { resultUri, trajectoryUri };
}

/** Result of FinalizeRun / RecordFailure (small: IDs, counters, URIs). */
export interface RunEnded {
  runId: string;
  status: 'succeeded' | 'failed';
  stopReason: RunSummary['stopReason'];
  iterations: number;
  costUsd: number;
  resultUri?: string;
  trajectoryUri?: string;
  errorName?: string;
  errorMessage?: string;
}

/** Record the answer and accounting, write artifacts, stop the sandbox, publish the event. Idempotent. */
export async function finalizeRun(deps: EngineDeps, runId: string): Promise<RunEnded> {
  const run = await deps.store.getRun(runId);
  const turns = await deps.store.listTurns(runId);
  const outcome = turns[turns.length - 1]?.outcome;
  if (run.status !== 'running') return closeRun(deps, run, turns);
  if (!outcome) throw new InvalidInputError(`run ${runId} has no final turn yet; it cannot be finalized`);
  const finished = await finish(deps, run, {
    status: 'succeeded', answer: outcome.answer ?? undefined, stopReason: outcome.stopReason,
    ...(outcome.detail ? { stopDetail: outcome.detail } : {}), updatedAt: isoNow(deps),
  });
  return closeRun(deps, finished, turns);
}

/**
 * Mark a running run ended and return it as the store now holds it. The run is re-read only when
 * another writer ended it first; otherwise the outcome is applied to the copy in hand.
 */
async function finish(deps: EngineDeps, run: RunRecord, outcome: RunOutcome): Promise<RunRecord> {
  try {
    await deps.store.finishRun(run.runId, outcome);
  } catch (err) {
    if (!(err instanceof RunStateConflictError)) throw err;
    return deps.store.getRun(run.runId);
  }
  return { ...run, ...outcome };
}

async function closeRun(deps: EngineDeps, run: RunRecord, turns: TurnRecord[]): Promise<RunEnded> {
  const summary = summarize(run, turns, deps.prices);
  const { resultUri, trajectoryUri } = await writeArtifacts(deps, run, turns, summary);
  if (run.sandboxSessionId) {
    try {
      await deps.sandbox.stop(run.sandboxSessionId);
    } catch (err) {
      deps.logger.warn('could not stop the sandbox session', { runId: run.runId, error: describeError(err) });
    }
  }
  const status = run.status === 'failed' ? 'failed' : 'succeeded';
  await deps.events.runFinished({
    runId: run.runId, status, stopReason: summary.stopReason, iterations: summary.iterations, costUsd: summary.costUsd,
    resultUri, ...(run.error ? { error: run.error } : {}), ...(run.tags ? { tags: run.tags } : {}),
  });
  deps.metrics.count('CostUsd', summary.costUsd, 'None');
  deps.metrics.count(status === 'failed' ? 'RunsFailed' : 'RunsSucceeded', 1);
  deps.logger.info('run ended', { runId: run.runId, status, stopReason: summary.stopReason, iterations: summary.iterations, costUsd: summary.costUsd });
  return {
    runId: run.runId, status, stopReason: summary.stopReason, iterations: summary.iterations, costUsd: summary.costUsd, resultUri, trajectoryUri,
    ...(run.error ? { errorName: run.error.name, errorMessage: run.error.message } : {}),
  };
}

/** Input of RecordFailure: the Catch output `{Error, Cause}` and the execution input. */
export interface RecordFailureInput {
  runId: string;
  error?: { Error?: string; Cause?: string };
  input?: unknown;
}

/** Parse a Step Functions error: Lambda puts `{errorType, errorMessage}` JSON in Cause; local runs put the message. */
export function parseStepError(error: RecordFailureInput['error']): { name: string; message: string } {
  const name = error?.Error || 'Error';
  const cause = error?.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; errorType?: string };
    if (parsed && typeof parsed.errorMessage === 'string') return { name: parsed.errorType || name, message: parsed.errorMessage };
  } catch {
    /* not JSON: the cause is the message */
  }
  return { name, message: cause || name };
}

/** Mark the run failed (keeping every recorded turn), write artifacts, stop the sandbox, publish. */
export async function recordFailure(deps: EngineDeps, input: RecordFailureInput): Promise<RunEnded> {
  const error = parseStepError(input.error);
  let run: RunRecord;
  try {
    run = await deps.store.getRun(input.runId);
  } catch (err) {
    if (!(err instanceof RunNotFoundError)) throw err;
    run = failedStub(deps, input, error);
    try {
      await deps.store.createRun(run);
    } catch (e) {
      if (!(e instanceof RunStateConflictError)) throw e;
      run = await deps.store.getRun(input.runId);
    }
  }
  if (run.status === 'running') {
    run = await finish(deps, run, { status: 'failed', stopReason: 'error', stopDetail: `${error.name}: ${error.message}`, error, updatedAt: isoNow(deps) });
  }
  const turns = await deps.store.listTurns(run.runId);
  const ended = await closeRun(deps, run, turns);
  return { ...ended, status: 'failed', errorName: error.name, errorMessage: error.message };
}

function failedStub(deps: EngineDeps, input: RecordFailureInput, error: { name: string; message: string }): RunRecord {
  const req = (input.input ?? {}) as Partial<StartRunRequest>;
  let config: RunConfig;
  try {
    config = resolveRunConfig(req.options ?? {});
  } catch {
    config = resolveRunConfig({});
  }
  const now = isoNow(deps);
  return {
    runId: input.runId, status: 'failed', question: typeof req.question === 'string' ? req.question : '',
    documents: [], config, iterations: 0, totals: zeroTotals(), createdAt: now, updatedAt: now,
    stopReason: 'error', stopDetail: `${error.name}: ${error.message}`, error,
  };
}
