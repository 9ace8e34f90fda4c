/**
 * LongBench v2 records: the fields of the official `data.json`, strict validation with errors that say
 * where (line or record number) and which field, and the subsets the RLM paper reports on.
 */
import { InvalidInputError } from '../errors';

/** A letter of a multiple-choice answer. */
export type ChoiceLetter = 'A' | 'B' | 'C' | 'D';
/** The four letters, in order. */
export const CHOICE_LETTERS: readonly ChoiceLetter[] = ['A', 'B', 'C', 'D'];
/** LongBench v2 difficulty labels. */
export type Difficulty = 'easy' | 'hard';
/** LongBench v2 length labels (short < 32k words, medium 32k–128k, long > 128k). */
export type LengthBucket = 'short' | 'medium' | 'long';

/** One LongBench v2 question (field names as in the official `data.json`). */
export interface LongBenchRecord {
  _id: string;
  domain: string;
  sub_domain: string;
  difficulty: Difficulty;
  length: LengthBucket;
  question: string;
  choice_A: string;
  choice_B: string;
  choice_C: string;
  choice_D: string;
  answer: ChoiceLetter;
  context: string;
}

/** A data file is malformed: the message names the file, the line or record, and the field. */
export class EvalDataError extends InvalidInputError {}

/** `--subset` choices. */
export type EvalSubset = 'financial' | 'code' | 'all';
/** The subsets, as shown in help and errors. */
export const EVAL_SUBSETS: readonly EvalSubset[] = ['financial', 'code', 'all'];

/** The paper's Financial multi-document QA subset: `sub_domain` "Financial" (15 questions). */
export const FINANCIAL_SUB_DOMAIN = 'Financial';
/** The paper's code subset: `domain` "Code Repository Understanding" (50 questions). */
export const CODE_DOMAIN = 'Code Repository Understanding';

/** Which paper subset a record belongs to (`other` for the rest of LongBench v2). */
export function subsetOf(record: Pick<LongBenchRecord, 'domain' | 'sub_domain'>): 'financial' | 'code' | 'other' {
  if (record.sub_domain === FINANCIAL_SUB_DOMAIN) return 'financial';
  if (record.domain === CODE_DOMAIN) return 'code';
  return 'other';
}

/** True when the record is in `subset` (`all` is every record in the file). */
export function inSubset(record: Pick<LongBenchRecord, 'domain' | 'sub_domain'>, subset: EvalSubset): boolean {
  return subset === 'all' || subsetOf(record) === subset;
}

const STRING_FIELDS = ['_id', 'domain', 'sub_domain', 'question', 'choice_A', 'choice_B', 'choice_C', 'choice_D', 'context'] as const;

/**
 * Validate one parsed record. `where` locates it for the message, e.g. `data.jsonl line 3`.
 * Throws {@link EvalDataError} naming the first bad field. Extra fields are allowed (and dropped).
 */
export function validateRecord(value: unknown, where: string): LongBenchRecord {
  const fail = (what: string): never => {
    throw new EvalDataError(`${where}: ${what}`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return fail('a record must be a JSON object with _id, domain, sub_domain, difficulty, length, question, choice_A..choice_D, answer, context');
  }
  const r = value as Record<string, unknown>;
  const id = typeof r._id === 'string' && r._id ? ` (_id ${r._id})` : '';
  for (const field of STRING_FIELDS) {
    if (!(field in r)) fail(`field "${field}" is missing${id}`);
    if (typeof r[field] !== 'string') fail(`field "${field}" must be a string, got ${r[field] === null ? 'null' : typeof r[field]}${id}`);
  }
  if (!(r._id as string).trim()) fail('field "_id" must not be empty');
  if (!(r.question as string).trim()) fail(`field "question" must not be empty${id}`);
  if (!(r.context as string).trim()) fail(`field "context" must not be empty${id}`);
  if (typeof r.answer !== 'string' || !(CHOICE_LETTERS as readonly string[]).includes(r.answer)) {
    fail(`field "answer" must be one of A, B, C, D, got ${JSON.stringify(r.answer)}${id}`);
  }
  if (r.difficulty !== 'easy' && r.difficulty !== 'hard') {
    fail(`field "difficulty" must be "easy" or "hard", got ${JSON.stringify(r.difficulty)}${id}`);
  }
  if (r.length !== 'short' && r.length !== 'medium' && r.length !== 'long') {
    fail(`field "length" must be "short", "medium" or "long", got ${JSON.stringify(r.length)}${id}`);
  }
  return {
    _id: r._id as string, domain: r.domain as string, sub_domain: r.sub_domain as string,
    difficulty: r.difficulty as Difficulty, length: r.length as LengthBucket, question: r.question as string,
    choice_A: r.choice_A as string, choice_B: r.choice_B as string, choice_C: r.choice_C as string,
    choice_D: r.choice_D as string, answer: r.answer as ChoiceLetter, context: r.context as string,
  };
}

/** Tracks `_id`s already seen in a file so a duplicate is reported with both places. */
export class DuplicateIdCheck {
  private readonly seen = new Map<string, string>();

  /** Throws {@link EvalDataError} when `id` was already seen. */
  check(id: string, where: string): void {
    const first = this.seen.get(id);
    if (first !== undefined) throw new EvalDataError(`${where}: duplicate _id ${id} (first at ${first})`);
    this.seen.set(id, where);
  }
}
