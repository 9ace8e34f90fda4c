import type { ToolSpec } from './ports';
import { EXECUTE_PYTHON_TOOL_NAME } from './reply-parser';
import type { RunRecord } from './types';

/** Most documents listed by name in the root prompt; the rest are summarised (keeps the prompt size bounded). */
export const MAX_LISTED_DOCUMENTS = 40;

const fmt = (n: number) => n.toLocaleString('en-US');

/** The `execute_python` tool offered to the root model. */
export const EXECUTE_PYTHON_TOOL: ToolSpec = {
  name: EXECUTE_PYTHON_TOOL_NAME,
  description:
    'Run Python code in the persistent REPL that holds the documents. Variables persist between calls. ' +
    'Returns what the code printed (stdout and stderr), cut to a maximum length. ' +
    'Call FINAL(answer) or FINAL_VAR(name) in this code to finish.',
  inputSchema: {
    type: 'object',
    properties: { code: { type: 'string', description: 'Python source to execute.' } },
    required: ['code'],
  },
};

/** The system prompt: the root model is an orchestrator, not a solver. */
export function systemPrompt(maxOutputChars: number): string {
  return `You are the root of a Recursive Language Model (RLM). You answer a question about documents that are far too large to read directly. You never see the documents in this conversation: they are loaded in a persistent Python REPL that you drive with the ${EXECUTE_PYTHON_TOOL_NAME} tool.

In the REPL you have:
- context: str. The whole text. With several documents they are joined, each preceded by a header line "===== DOCUMENT i/n: name (N chars) =====".
- documents: a read-only dict, document name -> text.
- llm_query(prompt, model=None) -> str. Ask a sub-LLM. It sees ONLY the prompt you pass, so put the text it needs into the prompt. It reads up to about 150,000 characters well.
- llm_query_batched(prompts, model=None) -> list[str]. Many prompts at once, run concurrently, answers in the same order. A failed prompt returns a string starting with "Error:".
- FINAL(answer): finish the run with this answer. FINAL_VAR(name): finish with the value of the variable called name.
- SHOW_VARS(): list the variables you have made.
Standard-library modules (re, json, collections, itertools, math, ...) are available. Variables persist between calls. What your code prints comes back to you, cut to ${fmt(maxOutputChars)} characters.

How to work. You are an orchestrator, not a solver:
1. Look before you act: print the sizes, the document names, the structure, and a few short samples (a few hundred characters each). Do not print whole documents.
2. Filter with Python first: regular expressions, keyword search, splitting on headers or files, counting. Narrow down to the parts that matter before spending any sub-call.
3. Use few, fat sub-calls: give each one a large chunk (tens of thousands of characters) and a precise instruction about what to extract or decide. Batch independent chunks with llm_query_batched. Never make hundreds of tiny calls.
4. Do not use sub-calls to double-check your own reasoning or to ask the same thing again.
5. Print concise results: counts, short extracts, the sub-LLMs' findings. Keep intermediate results in variables rather than printing them.
6. When you know the answer, build it in a variable and call FINAL_VAR("name"), or call FINAL(answer), inside ${EXECUTE_PYTHON_TOOL_NAME}. The run ends only when code you execute calls FINAL or FINAL_VAR: an answer written in prose does not end it.
7. If the question has answer choices, the final answer must state the chosen option clearly, as the question asks.
If you cannot call tools, put the code in a fenced block that starts with \`\`\`repl and it will be executed.`;
}

/** The first user message: the question and a description of the environment whose size does not depend on the documents'. */
export function initialUserMessage(run: Pick<RunRecord, 'question' | 'documents' | 'contextChars' | 'contextPreview' | 'config'>): string {
  const docs = run.documents;
  const total = run.contextChars ?? docs.reduce((n, d) => n + d.chars, 0);
  const listed = docs.slice(0, MAX_LISTED_DOCUMENTS).map((d, i) => `  ${i + 1}. ${d.name} (${fmt(d.chars)} chars)`);
  if (docs.length > MAX_LISTED_DOCUMENTS) {
    const rest = docs.slice(MAX_LISTED_DOCUMENTS).reduce((n, d) => n + d.chars, 0);
    listed.push(`  ... and ${fmt(docs.length - MAX_LISTED_DOCUMENTS)} more (${fmt(rest)} chars); list them with documents.keys()`);
  }
  return `Question:
${run.question}

Environment:
- ${fmt(docs.length)} document${docs.length === 1 ? '' : 's'} loaded in the REPL:
${listed.join('\n')}
- context: ${fmt(total)} characters in total.
- Preview of the start of context:
<<<
${run.contextPreview ?? ''}
>>>
- You have at most ${fmt(run.config.maxIterations)} turns of code execution.

Start by exploring context with code. Do not answer from the preview alone.`;
}

/** What the engine says when a reply contains no code to run. */
export function noCodeFeedback(iteration: number, maxIterations: number): string {
  return `No code was executed in your last reply (turn ${iteration} of ${maxIterations}). The run ends only when code you execute calls FINAL(answer) or FINAL_VAR("name"). ` +
    `Continue with ${EXECUTE_PYTHON_TOOL_NAME}; if you already know the answer, call FINAL with it in code.`;
}

/** The instruction of the last call without tools, when the iteration cap or a limit stops the run. */
export function finalCallInstruction(reason: 'iteration_cap' | 'limit', detail: string): string {
  const why = reason === 'iteration_cap' ? `The iteration limit (${detail}) has been reached.` : `A run limit was reached: ${detail}.`;
  return `${why} No more code can run. Using everything you have learned so far, give your best final answer to the original question now, as plain text. ` +
    'If you are unsure, say what you found and give the most likely answer.';
}

/** Footer appended to each cell's output so the model can budget its turns. */
export function turnFooter(iteration: number, maxIterations: number): string {
  const left = maxIterations - iteration;
  return `[turn ${iteration} of ${maxIterations}${left <= 3 ? `; ${left} left: finish soon with FINAL or FINAL_VAR` : ''}]`;
}
