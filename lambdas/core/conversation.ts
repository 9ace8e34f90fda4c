import type { ChatMessage, ContentBlock } from './ports';
import { EXECUTE_PYTHON_TOOL_NAME } from './reply-parser';
import { initialUserMessage } from './prompts';
import type { CellResult, RunRecord, TurnRecord } from './types';
import { truncateMiddle } from './truncate';

/** stdout, then stderr, then sandbox notices, as one text (what a terminal would show). */
export function combineOutput(result: Pick<CellResult, 'stdout' | 'stderr' | 'notices'>): string {
  const parts: string[] = [];
  if (result.stdout) parts.push(result.stdout.replace(/\n$/, ''));
  if (result.stderr) parts.push(result.stderr.replace(/\n$/, ''));
  for (const n of result.notices ?? []) parts.push(`[sandbox] ${n}`);
  return parts.join('\n');
}

/** The text the root model sees for one cell: output cut to `maxChars` (head and tail kept), plus a footer. */
export function modelVisibleOutput(fullOutput: string, maxChars: number, footer: string): string {
  const body = fullOutput.trim() ? truncateMiddle(fullOutput, maxChars) : '(no output)';
  return `${body}\n${footer}`;
}

const nonEmpty = (text: string) => (text.trim() ? text : '(empty reply)');

/** The assistant message of a recorded turn, as the model produced it. */
function assistantMessage(turn: TurnRecord): ChatMessage {
  const content: ContentBlock[] = [];
  const toolCells = turn.cells.filter((c) => c.toolUseId);
  if (turn.replyText.trim() || toolCells.length === 0) content.push({ type: 'text', text: nonEmpty(turn.replyText) });
  for (const cell of toolCells) {
    content.push({ type: 'tool_use', id: cell.toolUseId!, name: EXECUTE_PYTHON_TOOL_NAME, input: { code: cell.code } });
  }
  return { role: 'assistant', content };
}

/** The user message that answered a recorded turn (tool results, fenced-block output, or feedback). */
function answerMessage(turn: TurnRecord): ChatMessage {
  const content: ContentBlock[] = [];
  const toolCells = turn.cells.filter((c) => c.toolUseId);
  for (const cell of toolCells) {
    content.push({ type: 'tool_result', toolUseId: cell.toolUseId!, text: cell.modelOutput, isError: cell.result.raised || cell.result.timedOut || undefined });
  }
  const fenced = turn.cells.filter((c) => !c.toolUseId);
  if (fenced.length) {
    const text = fenced.map((c, i) => `Output of code block ${i + 1}:\n${c.modelOutput}`).join('\n\n');
    content.push({ type: 'text', text });
  }
  if (turn.feedback) content.push({ type: 'text', text: turn.feedback });
  if (!content.length) content.push({ type: 'text', text: '(no output)' });
  return { role: 'user', content };
}

/** Rebuild the root conversation from the run item and its recorded turns (each Lambda invocation starts here). */
export function buildConversation(run: RunRecord, turns: TurnRecord[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'text', text: initialUserMessage(run) }] }];
  for (const turn of turns) {
    if (turn.kind === 'final_call') continue;
    messages.push(assistantMessage(turn), answerMessage(turn));
  }
  return messages;
}

/**
 * Turn a conversation with tool blocks into plain text messages, and append `instruction` to the last
 * user message. Used for the last call without tools (Bedrock refuses tool blocks without a tool config).
 */
export function flattenForToollessCall(messages: ChatMessage[], instruction: string): ChatMessage[] {
  const flat: ChatMessage[] = messages.map((m) => ({
    role: m.role,
    content: [{
      type: 'text' as const,
      text: m.content.map((b) => {
        if (b.type === 'text') return b.text;
        if (b.type === 'tool_use') return '```repl\n' + String((b.input as { code?: unknown }).code ?? '') + '\n```';
        return `Output:\n${b.text}`;
      }).join('\n\n'),
    }],
  }));
  const last = flat[flat.length - 1];
  if (last && last.role === 'user') {
    const block = last.content[0] as { type: 'text'; text: string };
    block.text = `${block.text}\n\n${instruction}`;
  } else {
    flat.push({ role: 'user', content: [{ type: 'text', text: instruction }] });
  }
  return flat;
}
