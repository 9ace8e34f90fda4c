/**
 * The start request is validated by its zod schema (lambdas/core/start-request.ts), the same declaration the JSON
 * Schema schemas/start-run.schema.json is exported from. Every refusal names the field and what it must be.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../../lambdas/core/errors';
import { MAX_QUESTION_CHARS, PARENT_EXECUTION_FIELD, validateStartRequest } from '../../lambdas/core/start-request';

const refusal = (raw: unknown): string => {
  try {
    validateStartRequest(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

test('accepts and normalises a good request (events/start-run.json too)', () => {
  expect(validateStartRequest({ question: '  Why?  ', documents: [' s3://b/k ', { uri: 's3://b/x', name: 'x.txt' }, { uri: 's3://b/y' }], tags: { team: 'ops' } }))
    .toEqual({ question: 'Why?', documents: ['s3://b/k', { uri: 's3://b/x', name: 'x.txt' }, { uri: 's3://b/y' }], tags: { team: 'ops' } });
  const event = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'events', 'start-run.json'), 'utf8'));
  expect(validateStartRequest(event).question).toBe(event.question.trim());
});

test('names each bad field', () => {
  expect(refusal(null)).toBe('the run request must be a JSON object with "question" and "documents"');
  expect(refusal([])).toBe('the run request must be a JSON object with "question" and "documents"');
  expect(refusal({ question: '  ', documents: ['s3://b/k'] })).toBe('"question" must be a non-empty string');
  expect(refusal({ question: 7, documents: ['s3://b/k'] })).toBe('"question" must be a non-empty string');
  expect(refusal({ question: 'x'.repeat(MAX_QUESTION_CHARS + 1), documents: ['s3://b/k'] }))
    .toBe(`"question" is ${MAX_QUESTION_CHARS + 1} characters; the limit is ${MAX_QUESTION_CHARS} (put long material in a document)`);
  expect(refusal({ question: 'q', documents: [] })).toMatch(/^"documents" must be a non-empty array of URIs/);
  expect(refusal({ question: 'q' })).toMatch(/^"documents" must be a non-empty array of URIs/);
  expect(refusal({ question: 'q', documents: ['s3://b/k', { uri: 's3://b/x', name: ' ' }] })).toBe('documents[1].name must be a non-empty string');
  expect(refusal({ question: 'q', documents: [7] })).toBe('documents[0] must be a URI string or {"uri": ..., "name": ...}');
  expect(refusal({ question: 'q', documents: [{ url: 's3://b/x' }] })).toMatch(/^documents\[0\]/);
  expect(refusal({ question: 'q', documents: ['s3://b/k'], options: 5 })).toBe('"options" must be an object of run options');
  expect(refusal({ question: 'q', documents: ['s3://b/k'], tags: { team: 1 } })).toBe('tags.team must be a string');
  expect(refusal({ question: 'q', documents: ['s3://b/k'], tag: {} }))
    .toBe('unknown field "tag" in the run request; did you mean tags? (allowed: question, documents, options, tags)');
  // Every problem, not only the first.
  expect(refusal({ question: '', documents: [] }).split('; ')).toHaveLength(2);
});

test('a child run of the batch machine carries its parent execution (Step Functions adds it); other extra fields are refused', () => {
  const child = { question: 'q', documents: ['s3://b/k'], [PARENT_EXECUTION_FIELD]: 'arn:aws:states:us-east-1:1:execution:batch:b1' };
  expect(validateStartRequest(child)).toEqual({ question: 'q', documents: ['s3://b/k'] });
  expect(() => validateStartRequest({ question: 'q', documents: ['s3://b/k'], parent: 'x' })).toThrow(InvalidInputError);
});
