/**
 * The RootTurn task: one root-model turn as a sequence of recorded steps. The root reply is recorded
 * (a pending turn) before any cell runs, each cell as it finishes, then the turn. A retried RootTurn
 * replays what was recorded: it never calls the root model again for a recorded reply and never runs a
 * recorded cell again (core/run/step-log.ts, core/cell-runner.ts).
 */
import { addTurn, computeTotals, exceededLimit } from '../accounting';
import { capReachedIn, withRootCall } from '../budget';
import { runCells } from '../cell-runner';
import { DEFAULT_RUN_CONFIG } from '../config';
import { buildConversation, flattenForToollessCall } from '../conversation';
import { isoNow, type EngineDeps } from '../engine-deps';
import { ContextWindowExceededError, ModelInvocationError, RunStateConflictError, TurnAlreadyRecordedError } from '../errors';
import type { ModelCallOptions, ModelRequest, ModelResponse } from '../ports';
import { EXECUTE_PYTHON_TOOL, finalCallInstruction, noCodeFeedback, systemPrompt } from '../prompts';
import { parseReply, replyText } from '../reply-parser';
import type { RunRecord, RunState, RunTotals, TurnOutcome, TurnRecord, TurnStep } from '../types';
import { loadRun, loadTurns, storableTurn } from './spill';
import { StepLog } from './step-log';
import { runStateOf } from './start-run';

/** Input of one root turn (the state machine passes IDs and counters only). */
export interface RootTurnInput {
  runId: string;
}

type Reply = Extract<TurnStep, { kind: 'reply' }>;
type PendingTurn = Reply['turn'];

/**
 * One root-model turn: read the conversation, call the root model (or replay its recorded reply), run its
 * code, record the turn. At the iteration cap, or when an optional limit is reached, it makes one last call
 * without tools. Idempotent under retries.
 */
export async function runRootTurn(deps: EngineDeps, input: RootTurnInput, options: { deadline?: number } = {}): Promise<RunState> {
  const run = await loadRun(deps, input.runId);
  if (run.status !== 'running') return runStateOf(run);
  const turns = await loadTurns(deps, run.runId);
  const totals = computeTotals(turns, run.config, deps.prices);
  await repairProgress(deps, run, turns, totals);
  const last = turns[turns.length - 1];
  if (last?.outcome) return stateOf(run.runId, last);

  const index = turns.length + 1;
  const log = await StepLog.load(deps, run.runId, index);
  let reply = log.reply();
  const replayed = Boolean(reply);
  if (reply) {
    deps.logger.info('resuming a turn from its recorded steps', { runId: run.runId, turn: index });
  } else {
    deps.progress?.turnStarted?.({ runId: run.runId, iteration: index, maxIterations: run.config.maxIterations });
    reply = await askRoot(deps, run, turns, index, totals);
    await log.append(reply);
  }
  // The cells' sub-call budget counts this turn's root call (recorded with the reply, so a replay counts it too).
  const spent = withRootCall(totals, reply.turn.rootModelId, reply.turn.rootUsage, deps.prices);
  const cells = reply.requests.length ? await runCells(deps, { run, iteration: index, deadline: options.deadline, log, spent }, reply.requests) : [];
  const finalCell = cells.find((c) => c.result.final);
  const final = finalCell?.result.final;
  const outcome: TurnOutcome | undefined = reply.turn.outcome ?? (final
    ? { stopReason: 'final', answer: final.value, ...(final.valueUri ? { answerUri: final.valueUri } : {}), detail: final.variable ? `FINAL_VAR(${final.variable})` : 'FINAL' }
    : undefined);
  const turn: TurnRecord = { ...reply.turn, cells, endedAt: isoNow(deps), ...(outcome ? { outcome } : {}), ...(replayed ? { resumed: true } : {}) };
  return recordTurn(deps, run, turns, totals, turn);
}

function stateOf(runId: string, turn: TurnRecord): RunState {
  return { runId, iteration: turn.index, done: Boolean(turn.outcome), ...(turn.outcome ? { stopReason: turn.outcome.stopReason } : {}) };
}

/** Finish the second write of an earlier attempt that crashed between putTurn and advanceRun. `totals` are the turns'. */
async function repairProgress(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], totals: RunTotals): Promise<void> {
  if (turns.length <= run.iterations) return;
  try {
    await deps.store.advanceRun(run.runId, run.iterations, { iterations: turns.length, totals, updatedAt: isoNow(deps) });
    run.iterations = turns.length;
  } catch (err) {
    if (!(err instanceof RunStateConflictError)) throw err;
  }
}

/** Call the root model once (code turn, or the last call without tools) and describe the reply as a step. */
async function askRoot(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], index: number, totals: RunTotals): Promise<Reply> {
  const startedAt = isoNow(deps);
  // A cap reached at call time in the last turn's cells stops the run as `limit` too (core/budget.ts).
  const limit = exceededLimit(totals, run.config) ?? capReachedIn(turns[turns.length - 1]);
  const capped = turns.length >= run.config.maxIterations;
  if (capped || limit) {
    const reason = capped ? 'iteration_cap' as const : 'limit' as const;
    return { kind: 'reply', at: startedAt, requests: [], turn: await finalCallTurn(deps, run, turns, index, startedAt, reason, capped ? `${run.config.maxIterations} turns` : limit!) };
  }
  let response: ModelResponse;
  try {
    response = await callRoot(deps, run, index, false, {
      role: 'root', modelId: run.config.rootModelId, system: systemPrompt(run.config.maxOutputChars),
      messages: buildConversation(run, turns), tools: [EXECUTE_PYTHON_TOOL], cachePrefix: true, ...maxTokensOf(run),
    });
  } catch (err) {
    if (!(err instanceof ContextWindowExceededError)) throw err;
    return { kind: 'reply', at: startedAt, requests: [], turn: endedTurn(run, index, startedAt, { stopReason: 'limit', answer: null, detail: `the root conversation no longer fits the model's context window (${err.message})` }) };
  }
  const parsed = parseReply(response.content);
  const base: PendingTurn = { runId: run.runId, index, startedAt, kind: 'code', replyText: parsed.text, ...rootCallOf(run, response) };
  if (parsed.requests.length === 0) {
    const cutOff = response.stopReason === 'max_tokens' ? ' Your reply was cut off at the output token limit: write shorter code.' : '';
    return { kind: 'reply', at: startedAt, requests: [], turn: { ...base, kind: 'no_code', feedback: noCodeFeedback(index, run.config.maxIterations) + cutOff } };
  }
  return { kind: 'reply', at: startedAt, requests: parsed.requests, turn: base };
}

/** One root call, with the progress hooks (call started, retries). */
function callRoot(deps: EngineDeps, run: RunRecord, index: number, finalCall: boolean, request: ModelRequest): Promise<ModelResponse> {
  deps.progress?.modelCallStarted?.({ runId: run.runId, iteration: index, finalCall });
  const options: ModelCallOptions = { onRetry: (info) => deps.progress?.retrying?.({ runId: run.runId, ...info }) };
  return deps.model.converse(request, options);
}

/** The root calls' output limit (runs recorded before the setting existed use the default). */
const maxTokensOf = (run: RunRecord) => ({ maxOutputTokens: run.config.rootMaxOutputTokens ?? DEFAULT_RUN_CONFIG.rootMaxOutputTokens });

/** The root-call fields of a turn record, from the model's reply. */
const rootCallOf = (run: RunRecord, response: ModelResponse) => ({
  rootUsage: response.usage, rootModelId: response.modelId || run.config.rootModelId, rootLatencyMs: response.latencyMs,
});

/** A `final_call` turn that ends the run without (or before) a model reply. */
function endedTurn(run: RunRecord, index: number, startedAt: string, outcome: TurnOutcome): PendingTurn {
  return {
    runId: run.runId, index, kind: 'final_call', startedAt, replyText: '',
    rootUsage: { inputTokens: 0, outputTokens: 0 }, rootModelId: run.config.rootModelId, rootLatencyMs: 0, outcome,
  };
}

/** The last call without tools: asks for the best answer with what the model has learned. */
async function finalCallTurn(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], index: number, startedAt: string, reason: 'iteration_cap' | 'limit', detail: string): Promise<PendingTurn> {
  const messages = flattenForToollessCall(buildConversation(run, turns), finalCallInstruction(reason, detail));
  let response: ModelResponse;
  try {
    response = await callRoot(deps, run, index, true, { role: 'root', modelId: run.config.rootModelId, system: systemPrompt(run.config.maxOutputChars), messages, ...maxTokensOf(run) });
  } catch (err) {
    if (!(err instanceof ContextWindowExceededError || err instanceof ModelInvocationError)) throw err;
    return endedTurn(run, index, startedAt, { stopReason: reason, answer: null, detail: `${detail}; the last call without tools failed: ${err.message}` });
  }
  const text = replyText(response.content);
  return { ...endedTurn(run, index, startedAt, { stopReason: reason, answer: text || null, detail }), replyText: text, ...rootCallOf(run, response) };
}

/**
 * putTurn then advanceRun (two conditional writes); a lost race returns the state the winner recorded.
 * `totals` are those of `turns`, the turns before this one.
 */
async function recordTurn(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], totals: RunTotals, whole: TurnRecord): Promise<RunState> {
  const next = addTurn(totals, whole, run.config, deps.prices);
  const turn: TurnRecord = { ...whole, costUsd: next.costUsd - totals.costUsd, totalsAfter: next };
  try {
    await deps.store.putTurn(await storableTurn(deps, turn));
  } catch (err) {
    if (!(err instanceof TurnAlreadyRecordedError)) throw err;
    deps.logger.warn('turn already recorded by an earlier attempt; keeping it', { runId: run.runId, turn: turn.index });
    const stored = await loadTurns(deps, run.runId);
    await repairProgress(deps, run, stored, computeTotals(stored, run.config, deps.prices));
    return stateOf(run.runId, stored[turn.index - 1] ?? turn);
  }
  try {
    await deps.store.advanceRun(run.runId, turns.length, { iterations: turns.length + 1, totals: next, updatedAt: isoNow(deps) });
  } catch (err) {
    if (!(err instanceof RunStateConflictError)) throw err;
  }
  reportTurn(deps, run, turn, next);
  return stateOf(run.runId, turn);
}

function reportTurn(deps: EngineDeps, run: RunRecord, turn: TurnRecord, totals: RunTotals): void {
  const sub = turn.cells.reduce((n, c) => n + c.result.sub.calls, 0);
  const cellSeconds = turn.cells.reduce((n, c) => n + c.result.durationMs / 1000, 0);
  deps.metrics.count('Turns', 1);
  deps.metrics.count('RootInputTokens', turn.rootUsage.inputTokens);
  deps.metrics.count('RootOutputTokens', turn.rootUsage.outputTokens);
  deps.metrics.count('SubCalls', sub);
  deps.metrics.count('CellSeconds', cellSeconds, 'Seconds');
  deps.logger.info('turn recorded', {
    runId: run.runId, turn: turn.index, kind: turn.kind, cells: turn.cells.length, subCalls: sub,
    outputChars: turn.cells.reduce((n, c) => n + c.fullOutput.length, 0), stopReason: turn.outcome?.stopReason,
  });
  deps.progress?.turnFinished?.({ runId: run.runId, turn, totals, maxIterations: run.config.maxIterations });
}
