import { InvalidInputError } from './errors';
import type { StartRunRequest } from './types';

/** Longest question accepted (characters). Questions are prompts, not documents. */
export const MAX_QUESTION_CHARS = 100_000;

/** Validate an untrusted start request; throws `InvalidInputError` naming the problem. */
export function validateStartRequest(raw: unknown): StartRunRequest {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidInputError('the run request must be a JSON object with "question" and "documents"');
  const r = raw as Record<string, unknown>;
  if (typeof r.question !== 'string' || !r.question.trim()) throw new InvalidInputError('"question" must be a non-empty string');
  if (r.question.length > MAX_QUESTION_CHARS) throw new InvalidInputError(`"question" is ${r.question.length} characters; the limit is ${MAX_QUESTION_CHARS} (put long material in a document)`);
  if (!Array.isArray(r.documents) || r.documents.length === 0) throw new InvalidInputError('"documents" must be a non-empty array of URIs (s3://bucket/key, s3://bucket/prefix/, file:///path)');
  const documents = r.documents.map((d, i) => {
    if (typeof d === 'string' && d.trim()) return d.trim();
    if (d && typeof d === 'object' && typeof (d as { uri?: unknown }).uri === 'string') {
      const { uri, name } = d as { uri: string; name?: unknown };
      if (name !== undefined && (typeof name !== 'string' || !name.trim())) throw new InvalidInputError(`documents[${i}].name must be a non-empty string`);
      return name ? { uri, name } : { uri };
    }
    throw new InvalidInputError(`documents[${i}] must be a URI string or {"uri": ..., "name": ...}`);
  });
  if (r.options !== undefined && (typeof r.options !== 'object' || r.options === null || Array.isArray(r.options))) throw new InvalidInputError('"options" must be an object');
  if (r.tags !== undefined) {
    if (typeof r.tags !== 'object' || r.tags === null || Array.isArray(r.tags)) throw new InvalidInputError('"tags" must be an object of strings');
    for (const [k, v] of Object.entries(r.tags)) if (typeof v !== 'string') throw new InvalidInputError(`tags.${k} must be a string`);
  }
  return {
    question: r.question.trim(), documents,
    ...(r.options ? { options: r.options as StartRunRequest['options'] } : {}),
    ...(r.tags ? { tags: r.tags as Record<string, string> } : {}),
  };
}
