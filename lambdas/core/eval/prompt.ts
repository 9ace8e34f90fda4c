/**
 * Prompts and answer extraction exactly as the official LongBench v2 code does them
 * (THUDM/LongBench `prompts/0shot.txt` and `pred.py`: `extract_answer`).
 */
import type { ChoiceLetter, LongBenchRecord } from './records';

/** The part of the 0-shot template after the document: the question, choices and the answer format. */
export const LONGBENCH_QUESTION_TEMPLATE =
  'What is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\n' +
  'Format your response as follows: "The correct answer is (insert answer here)".';

/** The official 0-shot template (`prompts/0shot.txt` of THUDM/LongBench), byte for byte. */
export const LONGBENCH_0SHOT_TEMPLATE =
  'Please read the following text and answer the question below.\n\n<text>\n$DOC$\n</text>\n\n' + LONGBENCH_QUESTION_TEMPLATE;

/** Sampling of the official `pred.py` for the 0-shot setting: temperature 0.1, at most 128 new tokens. */
export const LONGBENCH_TEMPERATURE = 0.1;
/** See {@link LONGBENCH_TEMPERATURE}. */
export const LONGBENCH_MAX_OUTPUT_TOKENS = 128;

/** Python's `str.strip()` for the whitespace that matters here (the official code strips every field). */
const strip = (s: string) => s.trim();

/**
 * Fill `$DOC$` (when given), `$Q$` and `$C_A$`..`$C_D$` exactly as `pred.py` does: fields stripped, every
 * occurrence replaced, in that order (so a literal `$Q$` inside the document is replaced too, as there).
 * Literal replacement: `$&`-style patterns in the data stay as they are.
 */
function fill(template: string, record: Pick<LongBenchRecord, 'question' | 'choice_A' | 'choice_B' | 'choice_C' | 'choice_D'>, doc?: string): string {
  const steps: Array<[string, string]> = [
    ...(doc !== undefined ? [['$DOC$', doc] as [string, string]] : []),
    ['$Q$', record.question], ['$C_A$', record.choice_A], ['$C_B$', record.choice_B],
    ['$C_C$', record.choice_C], ['$C_D$', record.choice_D],
  ];
  return steps.reduce((out, [key, value]) => out.split(key).join(strip(value)), template);
}

/** The Base / Long Context prompt: the official 0-shot template with the whole context. */
export function buildBasePrompt(record: LongBenchRecord): string {
  return fill(LONGBENCH_0SHOT_TEMPLATE, record, record.context);
}

/**
 * The RLM question: the same question, choices and "The correct answer is (X)" instruction; the context
 * goes to the pipeline as the document instead of into the prompt.
 */
export function buildRlmQuestion(record: Pick<LongBenchRecord, 'question' | 'choice_A' | 'choice_B' | 'choice_C' | 'choice_D'>): string {
  return fill(LONGBENCH_QUESTION_TEMPLATE, record);
}

/**
 * The answer letter as the official scorer extracts it: remove every `*`, then the first
 * `The correct answer is (X)`, else the first `The correct answer is X`, with X in A–D. Null when neither
 * matches (the question then counts as wrong).
 */
export function extractAnswer(response: string | null | undefined): ChoiceLetter | null {
  if (!response) return null;
  const text = response.replace(/\*/g, '');
  const m = /The correct answer is \(([A-D])\)/.exec(text) ?? /The correct answer is ([A-D])/.exec(text);
  return m ? (m[1] as ChoiceLetter) : null;
}
