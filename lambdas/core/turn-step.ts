import { addTurn, computeTotals, exceededLimit } from './accounting';
import { capReachedIn, withRootCall } from './budget';
import { runCells } from './cell-runner';
import { buildConversation, flattenForToollessCall } from './conversation';
import { isoNow, type EngineDeps } from './engine-deps';
import { ContextWindowExceededError, ModelInvocationError, RunStateConflictError, TurnAlreadyRecordedError } from './errors';
import type { ModelResponse } from './ports';
import { EXECUTE_PYTHON_TOOL, finalCallInstruction, noCodeFeedback, systemPrompt } from './prompts';
import { parseReply, replyText } from './reply-parser';
import { runStateOf } from './run-lifecycle';
import type { RunRecord, RunState, RunTotals, TurnOutcome, TurnRecord } from './types';

/** Input of one root turn (the state machine passes IDs and counters only). */
export interface RootTurnInput {
  runId: string;
}

/** The root-call fields of a turn record, from the model's reply. */
const rootCallOf = (run: RunRecord, response: ModelResponse) => ({
  rootUsage: response.usage, rootModelId: response.modelId || run.config.rootModelId, rootLatencyMs: response.latencyMs,
});

/**
 * One root-model turn: read the conversation, call the root model, run its code, record the turn.
 * At the iteration cap, or when an optional limit is reached, it makes one last call without tools.
 * Idempotent under retries: a turn already recorded by an earlier attempt is never written twice.
 */
export async function runRootTurn(deps: EngineDeps, input: RootTurnInput, options: { deadline?: number } = {}): Promise<RunState> {
  const run = await deps.store.getRun(input.runId);
  if (run.status !== 'running') return runStateOf(run);
  const turns = await deps.store.listTurns(run.runId);
  const totals = computeTotals(turns, run.config, deps.prices);
  await repairProgress(deps, run, turns, totals);
  const last = turns[turns.length - 1];
  if (last?.outcome) return stateOf(run.runId, last);

  const index = turns.length + 1;
  deps.progress?.turnStarted?.({ runId: run.runId, iteration: index, maxIterations: run.config.maxIterations });
  const limit = exceededLimit(totals, run.config) ?? capReachedIn(last);
  let turn: TurnRecord;
  if (turns.length >= run.config.maxIterations) {
    turn = await finalCallTurn(deps, run, turns, index, 'iteration_cap', `${run.config.maxIterations} turns`);
  } else if (limit) {
    turn = await finalCallTurn(deps, run, turns, index, 'limit', limit);
  } else {
    turn = await codeTurn(deps, run, turns, index, options.deadline, totals);
  }
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

async function codeTurn(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], index: number, deadline?: number, totals?: RunTotals): Promise<TurnRecord> {
  const startedAt = isoNow(deps);
  let response: ModelResponse;
  try {
    response = await deps.model.converse({
      role: 'root', modelId: run.config.rootModelId, system: systemPrompt(run.config.maxOutputChars),
      messages: buildConversation(run, turns), tools: [EXECUTE_PYTHON_TOOL], cachePrefix: true,
    });
  } catch (err) {
    if (!(err instanceof ContextWindowExceededError)) throw err;
    return endedTurn(deps, run, index, startedAt, { stopReason: 'limit', answer: null, detail: `the root conversation no longer fits the model's context window (${err.message})` });
  }
  const parsed = parseReply(response.content);
  const base = { runId: run.runId, index, startedAt, replyText: parsed.text, ...rootCallOf(run, response) };
  if (parsed.requests.length === 0) {
    const cutOff = response.stopReason === 'max_tokens' ? ' Your reply was cut off at the output token limit: write shorter code.' : '';
    return { ...base, kind: 'no_code', cells: [], feedback: noCodeFeedback(index, run.config.maxIterations) + cutOff, endedAt: isoNow(deps) };
  }
  const spent = totals && withRootCall(totals, base.rootModelId, response.usage, deps.prices);
  const cells = await runCells(deps, { run, iteration: index, deadline, spent }, parsed.requests);
  const finalCell = cells.find((c) => c.result.final);
  const outcome: TurnOutcome | undefined = finalCell?.result.final
    ? { stopReason: 'final', answer: finalCell.result.final.value, detail: finalCell.result.final.variable ? `FINAL_VAR(${finalCell.result.final.variable})` : 'FINAL' }
    : undefined;
  return { ...base, kind: 'code', cells, endedAt: isoNow(deps), ...(outcome ? { outcome } : {}) };
}

/** A `final_call` turn that ends the run without (or before) a model reply. */
function endedTurn(deps: EngineDeps, run: RunRecord, index: number, startedAt: string, outcome: TurnOutcome): TurnRecord {
  return {
    runId: run.runId, index, kind: 'final_call', startedAt, endedAt: isoNow(deps), replyText: '', cells: [],
    rootUsage: { inputTokens: 0, outputTokens: 0 }, rootModelId: run.config.rootModelId, rootLatencyMs: 0, outcome,
  };
}

/** The last call without tools: asks for the best answer with what the model has learned. */
async function finalCallTurn(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], index: number, reason: 'iteration_cap' | 'limit', detail: string): Promise<TurnRecord> {
  const startedAt = isoNow(deps);
  const messages = flattenForToollessCall(buildConversation(run, turns), finalCallInstruction(reason, detail));
  let response: ModelResponse;
  try {
    response = await deps.model.converse({ role: 'root', modelId: run.config.rootModelId, system: systemPrompt(run.config.maxOutputChars), messages });
  } catch (err) {
    if (!(err instanceof ContextWindowExceededError || err instanceof ModelInvocationError)) throw err;
    return endedTurn(deps, run, index, startedAt, { stopReason: reason, answer: null, detail: `${detail}; the last call without tools failed: ${err.message}` });
  }
  const text = replyText(response.content);
  return {
    ...endedTurn(deps, run, index, startedAt, { stopReason: reason, answer: text || null, detail }),
    replyText: text, ...rootCallOf(run, response),
  };
}

/**
 * putTurn then advanceRun (two conditional writes); a lost race returns the state the winner recorded.
 * `totals` are those of `turns`, the turns before this one.
 */
async function recordTurn(deps: EngineDeps, run: RunRecord, turns: TurnRecord[], totals: RunTotals, turn: TurnRecord): Promise<RunState> {
  try {
    await deps.store.putTurn(turn);
  } catch (err) {
    if (!(err instanceof TurnAlreadyRecordedError)) throw err;
    deps.logger.warn('turn already recorded by an earlier attempt; keeping it', { runId: run.runId, turn: turn.index });
    const stored = await deps.store.listTurns(run.runId);
    await repairProgress(deps, run, stored, computeTotals(stored, run.config, deps.prices));
    return stateOf(run.runId, stored[turn.index - 1] ?? turn);
  }
  const next = addTurn(totals, turn, run.config, deps.prices);
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
