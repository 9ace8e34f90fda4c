/**
 * The start request of a run (the input of a run execution, what `rlm submit`, the triggers and the batch send):
 * declared once as a zod schema. `validateStartRequest` checks untrusted input with it, and the JSON Schema
 * `schemas/start-run.schema.json` is exported from the same declaration (`file-schemas.ts`).
 */
import { z } from 'zod';
import { InvalidInputError } from './errors';
import { issueLines } from './schema-issues';
import type { StartRunRequest } from './types';

/** Longest question accepted (characters). Questions are prompts, not documents. */
export const MAX_QUESTION_CHARS = 100_000;

const NON_EMPTY = 'must be a non-empty string';
/** A string with a non-space character, trimmed (the JSON Schema says `pattern: \S`, so editors agree). */
const nonBlank = () => z.string({ error: NON_EMPTY }).regex(/\S/, NON_EMPTY).trim();

/** The question: non-blank, at most `MAX_QUESTION_CHARS`, trimmed. */
export const questionSchema = z.string({ error: NON_EMPTY }).max(MAX_QUESTION_CHARS, {
  error: (issue) => `is ${(issue.input as string).length} characters; the limit is ${MAX_QUESTION_CHARS} (put long material in a document)`,
}).regex(/\S/, NON_EMPTY).trim();

const DOCUMENT_ENTRY = 'must be a URI string or {"uri": ..., "name": ...}';
/** One document: a URI, or `{uri, name}` (the name the model sees). */
export const documentEntrySchema = z.union([
  z.string().regex(/\S/).trim(),
  z.strictObject({ uri: nonBlank(), name: nonBlank().optional() }),
], { error: DOCUMENT_ENTRY });

const DOCUMENTS = 'must be a non-empty array of URIs (s3://bucket/key, s3://bucket/prefix/, file:///path)';
/** The documents of a run: at least one. */
export const documentsSchema = z.array(documentEntrySchema, { error: DOCUMENTS }).min(1, DOCUMENTS)
  .describe('Keys under documents/ or inbox/, prefixes ending in "/", or s3:// URIs');

/** Labels stored with the run and its events. */
export const tagsSchema = z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' })
  .describe('Labels stored with the run and its events');

/** The fields of a start request; `options` as given (the run options' schema, or any object checked later). */
export function startRequestShape<O extends z.ZodType>(options: O) {
  return {
    question: questionSchema,
    documents: documentsSchema,
    options: options.optional(),
    tags: tagsSchema.optional(),
  };
}

/**
 * The field Step Functions adds to a child execution's input (the batch machine starts runs with
 * `associateWithParent`): the parent's execution ARN. Not part of the request a user writes; dropped before
 * validation.
 */
export const PARENT_EXECUTION_FIELD = 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID';

function withoutParentExecution(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !(PARENT_EXECUTION_FIELD in raw)) return raw;
  const { [PARENT_EXECUTION_FIELD]: _parent, ...request } = raw as Record<string, unknown>;
  return request;
}

/** Fields a start request may have. */
export const START_REQUEST_FIELDS = ['question', 'documents', 'options', 'tags'] as const;

/**
 * The run-time schema: `options` must be an object here; its keys and values are checked by `resolveRunConfig`
 * (which names the likely option for a typo).
 */
const startRequestSchema = z.strictObject(
  startRequestShape(z.record(z.string(), z.unknown(), { error: 'must be an object of run options' })),
  { error: 'must be a JSON object with "question" and "documents"' },
);

/** Validate an untrusted start request; throws `InvalidInputError` naming every problem (field by field). */
export function validateStartRequest(raw: unknown): StartRunRequest {
  const parsed = startRequestSchema.safeParse(withoutParentExecution(raw));
  if (!parsed.success) {
    throw new InvalidInputError(issueLines(parsed.error, { what: 'the run request', schema: startRequestSchema }).join('; '));
  }
  const { question, documents, options, tags } = parsed.data;
  return {
    question,
    documents: documents.map((d) => (typeof d === 'string' ? d : d.name ? { uri: d.uri, name: d.name } : { uri: d.uri })),
    ...(options ? { options: options as StartRunRequest['options'] } : {}),
    ...(tags ? { tags } : {}),
  };
}
