import type { ContentBlock } from './ports';

/** Name of the single tool the root model acts through. */
export const EXECUTE_PYTHON_TOOL_NAME = 'execute_python';

/** A block of code the root model asked to run. */
export interface CodeRequest {
  /** Tool-use ID for `execute_python` calls; absent for fenced blocks. */
  toolUseId?: string;
  code: string;
  /** Set when a tool call could not be understood; the message goes back as an error tool result. */
  invalid?: string;
}

/** The parts of a root reply the engine acts on. */
export interface ParsedReply {
  text: string;
  /** `tool` when code came through execute_python, `fenced` from ```repl / ```python blocks. */
  source: 'tool' | 'fenced' | 'none';
  requests: CodeRequest[];
}

const FENCE = /```(?:repl|python|py)[^\S\n]*\n([\s\S]*?)```/g;

/** The text blocks of a reply, joined and trimmed (tool calls left out). */
export function replyText(content: ContentBlock[]): string {
  return content
    .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();
}

/**
 * Extract the code the root model wants to run. Tool calls win; only when there is none are fenced
 * ```repl / ```python blocks taken from the prose (for models without tool use). A final answer is
 * never read from the prose: only executed FINAL/FINAL_VAR ends a run.
 */
export function parseReply(content: ContentBlock[]): ParsedReply {
  const text = replyText(content);
  const toolRequests: CodeRequest[] = [];
  for (const block of content) {
    if (block.type !== 'tool_use') continue;
    if (block.name !== EXECUTE_PYTHON_TOOL_NAME) {
      toolRequests.push({ toolUseId: block.id, code: '', invalid: `Unknown tool "${block.name}". The only tool is ${EXECUTE_PYTHON_TOOL_NAME}.` });
      continue;
    }
    const code = block.input?.code;
    if (typeof code !== 'string' || !code.trim()) {
      toolRequests.push({ toolUseId: block.id, code: '', invalid: `${EXECUTE_PYTHON_TOOL_NAME} needs a non-empty string argument "code".` });
      continue;
    }
    toolRequests.push({ toolUseId: block.id, code });
  }
  if (toolRequests.length) return { text, source: 'tool', requests: toolRequests };
  const fenced = [...text.matchAll(FENCE)].map((m) => m[1]).filter((c) => c.trim());
  if (fenced.length) return { text, source: 'fenced', requests: fenced.map((code) => ({ code })) };
  return { text, source: 'none', requests: [] };
}
