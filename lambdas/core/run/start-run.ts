/** The StartRun task: validate the request, resolve documents, start the sandbox, create the run item. */
import { SETTINGS } from '../settings';
import { zeroTotals } from '../accounting';
import { resolveRunConfig } from '../config';
import { isoNow, sandboxOptionsFor, type EngineDeps } from '../engine-deps';
import { describeError, InvalidInputError, RunNotFoundError, RunStateConflictError } from '../errors';
import { requirePrices } from '../pricing';
import { validateStartRequest } from '../start-request';
import type { DocumentRef, RunConfig, RunRecord, RunState, StartRunRequest } from '../types';
import { loadRun, storableRun } from './spill';
import { writeWithRetries } from './write-retries';

/**
 * Default largest total input of a run, in characters (bytes for S3 objects before they are read): the
 * sandbox holds `context` plus `documents` in memory. Deployments set their own (`maxInputChars`).
 */
export const DEFAULT_MAX_INPUT_CHARS: number = SETTINGS.maxInputChars.default;

/** Refuse a document set whose total size is over `maxChars`, naming the sizes and the largest documents. */
export function checkInputSize(documents: DocumentRef[], maxChars: number): void {
  const total = documents.reduce((n, d) => n + d.chars, 0);
  if (total <= maxChars) return;
  const largest = [...documents].sort((a, b) => b.chars - a.chars).slice(0, 3).map((d) => `${d.name} (${d.chars.toLocaleString('en-US')})`);
  throw new InvalidInputError(
    `the documents total ${total.toLocaleString('en-US')} characters in ${documents.length} document(s), over this deployment's limit of ` +
      `${maxChars.toLocaleString('en-US')}; largest: ${largest.join(', ')}`,
  );
}

/** Input of the StartRun task: the execution input and the execution name (= run ID). */
export interface StartRunInput {
  runId: string;
  request: unknown;
}

/**
 * Validate the request, resolve documents, start the sandbox, and create the run item. Idempotent per run
 * ID: a retried (or resumed) StartRun finds the run and returns its state. If the run item cannot be
 * written, the session just started is stopped before the error propagates.
 */
export async function startRun(
  deps: EngineDeps, input: StartRunInput, defaults: Partial<RunConfig> = {}, ttlDays?: number,
  options: { deadline?: number; maxInputChars?: number } = {},
): Promise<RunState> {
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
  checkInputSize(documents, options.maxInputChars ?? DEFAULT_MAX_INPUT_CHARS);
  const { session, loaded } = await deps.sandbox.start({
    ...sandboxOptionsFor({ runId: input.runId, documents, config }), ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
  });
  const now = isoNow(deps);
  const run: RunRecord = {
    runId: input.runId, status: 'running', question: request.question, documents: loaded.documents, config,
    sandboxSessionId: session.sessionId, iterations: 0, totals: zeroTotals(), createdAt: now, updatedAt: now,
    contextChars: loaded.totalChars, contextPreview: loaded.preview,
    ...(ttlDays ? { expiresAt: Math.floor((deps.now ?? Date.now)() / 1000) + ttlDays * 86_400 } : {}),
    ...(request.tags ? { tags: request.tags } : {}),
  };
  try {
    await deps.store.createRun(await storableRun(deps, run));
  } catch (err) {
    await session.close().catch((e) => deps.logger.warn('could not stop the session of a run that was not created', { runId: run.runId, error: describeError(e) }));
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

/**
 * Prepare a stored run for a resume: a run that ended without success (failed, cancelled) is set back to
 * `running`; a running run (its process was killed) is left as is. Returns the request that started it,
 * for a new execution under the same run ID (StartRun then finds the run; RootTurn goes on from the last
 * recorded step, with a new sandbox session when the old one is gone). Throws `RunStateConflictError`
 * for a run that succeeded.
 */
export async function prepareResume(deps: EngineDeps, runId: string): Promise<{ run: RunRecord; request: StartRunRequest }> {
  let run = await loadRun(deps, runId);
  if (run.status === 'succeeded') throw new RunStateConflictError(`run ${runId} already succeeded; there is nothing to resume`);
  if (run.status !== 'running') {
    // Retried in-process on transient errors; a retry that finds the run running means the first landed.
    await writeWithRetries(async () => {
      try {
        await deps.store.reopenRun(runId, isoNow(deps));
      } catch (err) {
        if (!(err instanceof RunStateConflictError) || (await deps.store.getRun(runId)).status !== 'running') throw err;
      }
    });
    run = await loadRun(deps, runId);
  }
  const request: StartRunRequest = {
    question: run.question, documents: run.documents.map((d) => ({ uri: d.uri, name: d.name })),
    ...(run.tags ? { tags: run.tags } : {}),
  };
  return { run, request };
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
