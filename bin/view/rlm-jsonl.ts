/**
 * A run in the log format of the reference RLM implementation (github.com/alexzhang13/rlm, `RLMLogger`):
 * JSON Lines, a `metadata` line then one `iteration` line per root turn with the prompt (message list),
 * the response, the code blocks with their REPL results and sub-LM calls. Field mapping: docs/viewer.md.
 */
import { buildConversation } from '../../lambdas/core/conversation';
import type { ChatMessage } from '../../lambdas/core/ports';
import { systemPrompt } from '../../lambdas/core/prompts';
import type { CellRecord, SubCallRecord, TurnRecord } from '../../lambdas/core/types';
import type { LoadedRun } from './run-data';
import { configOf, overviewOf } from './run-model';

/** A message of the reference format (`prompt` is a list of these). */
interface RefMessage { role: string; content: string }

function flatten(m: ChatMessage): RefMessage {
  const content = m.content.map((b) => {
    if (b.type === 'text') return b.text;
    if (b.type === 'tool_use') return '```repl\n' + String((b.input as { code?: unknown }).code ?? '') + '\n```';
    return b.text;
  }).join('\n\n');
  return { role: m.role, content };
}

/** Split a failed cell's combined output into the part before the traceback (stdout) and the traceback (stderr). */
export function splitOutput(cell: CellRecord): { stdout: string; stderr: string } {
  const out = cell.fullOutput;
  if (!cell.result.raised && !cell.result.timedOut) return { stdout: out, stderr: '' };
  const at = out.search(/^Traceback \(most recent call last\):/m);
  if (at < 0) return cell.result.timedOut ? { stdout: out, stderr: 'TimeoutError: the cell exceeded its time limit' } : { stdout: '', stderr: out };
  return { stdout: out.slice(0, at).replace(/\n$/, ''), stderr: out.slice(at) };
}

function subCall(r: SubCallRecord) {
  const seconds = r.durationMs / 1000;
  return {
    root_model: r.model,
    prompt: r.prompt ?? r.promptPreview,
    response: r.response ?? r.responsePreview,
    usage_summary: { model_usage_summaries: { [r.model]: { total_calls: 1, total_input_tokens: r.inputTokens, total_output_tokens: r.outputTokens } } },
    execution_time: seconds,
    // The reference visualizer reads these two flat fields.
    prompt_tokens: r.inputTokens,
    completion_tokens: r.outputTokens,
    ...(r.error ? { error: r.error } : {}),
    ...(r.prompt === undefined && r.promptChars > r.promptPreview.length ? { prompt_truncated_from_chars: r.promptChars } : {}),
    ...(r.response === undefined && r.responseChars > r.responsePreview.length ? { response_truncated_from_chars: r.responseChars } : {}),
  };
}

function codeBlock(cell: CellRecord) {
  const { stdout, stderr } = splitOutput(cell);
  return {
    code: cell.code,
    result: {
      stdout, stderr, locals: {}, execution_time: cell.result.durationMs / 1000,
      rlm_calls: cell.result.sub.records.map(subCall),
      final_answer: cell.result.final?.value ?? null,
    },
  };
}

function responseText(turn: TurnRecord): string {
  const fenced = turn.cells.filter((c) => c.toolUseId).map((c) => '```repl\n' + c.code + '\n```');
  return [turn.replyText, ...fenced].filter((s) => s.trim()).join('\n\n');
}

/** The run as JSON Lines in the reference format (one string per line, no trailing newline inside). */
export function toRlmJsonl(loaded: LoadedRun): string[] {
  const config = configOf(loaded);
  const o = overviewOf(loaded);
  const started = loaded.run?.createdAt ?? loaded.turns[0]?.startedAt ?? new Date(loaded.mtimeMs).toISOString();
  const lines: string[] = [JSON.stringify({
    type: 'metadata', timestamp: started,
    root_model: config.rootModelId, max_depth: 1, max_iterations: config.maxIterations,
    backend: 'rlm-pipeline', backend_kwargs: { model_name: config.rootModelId, sub_model: config.subModelId },
    environment_type: 'rlm-pipeline', environment_kwargs: { ...config, documents: loaded.run?.documents.map((d) => ({ name: d.name, chars: d.chars })) ?? [] },
    other_backends: [config.subModelId],
    rlm_pipeline: { runId: o.runId, question: o.question, status: o.status, stopReason: o.stopReason ?? null, costUsd: o.costUsd },
  })];
  const system = { role: 'system', content: systemPrompt(config.maxOutputChars) };
  loaded.turns.forEach((turn, i) => {
    const prompt = loaded.run ? [system, ...buildConversation(loaded.run, loaded.turns.slice(0, i)).map(flatten)] : [];
    if (turn.kind === 'final_call' && prompt.length) prompt.push({ role: 'user', content: '(last call without tools: answer from what is known)' });
    const seconds = Math.max(0, Date.parse(turn.endedAt) - Date.parse(turn.startedAt)) / 1000 || null;
    lines.push(JSON.stringify({
      type: 'iteration', iteration: turn.index, timestamp: turn.endedAt,
      prompt, response: responseText(turn),
      code_blocks: turn.cells.map(codeBlock),
      final_answer: turn.outcome ? turn.outcome.answer : null,
      iteration_time: seconds,
    }));
  });
  return lines;
}
