/**
 * The parts the manifest schemas share (job manifest, batch line, watch profiles), and the two checks every
 * manifest reader layers around its schema: JSON syntax before it, and the schema's issues as reasons after it.
 * The schemas are the runtime authority; their JSON Schemas are exported from the same declarations (schemas/).
 */
import { z } from 'zod';
import { issueLines } from '../schema-issues';
import { documentEntrySchema } from '../start-request';

const MANIFEST_DOCUMENTS = 'must be a non-empty array of keys, prefixes ending in "/", or URIs';

/** The documents of a manifest: keys under the readable prefixes, prefixes ending in "/", or s3:// URIs (resolved after). */
export const manifestDocumentsSchema = z.array(documentEntrySchema, { error: MANIFEST_DOCUMENTS }).min(1, MANIFEST_DOCUMENTS)
  .describe('Keys under documents/ or inbox/, prefixes ending in "/", or s3:// URIs');

/** One manifest document entry as its schema outputs it (trimmed). */
export type ManifestDocumentEntry = z.output<typeof documentEntrySchema>;

/** What {@link reasonsOfSchema} gives: the parsed value, or one reason per problem. */
export type SchemaCheck<T> = { ok: true; data: T; reasons: [] } | { ok: false; reasons: string[] };

/**
 * Check `raw` with `schema`, every problem as one reason naming its field (`"question" must be a non-empty
 * string`, `options.maxIterations must be at most 200`, `unknown field "color" in the job manifest; ...`).
 * `prefix` is put before field paths (`watchProfiles` gives `watchProfiles.ops.questions ...`).
 */
export function reasonsOfSchema<S extends z.ZodType>(schema: S, raw: unknown, what: string, prefix?: string): SchemaCheck<z.output<S>> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, data: parsed.data, reasons: [] };
  return { ok: false, reasons: issueLines(parsed.error, { what, schema, ...(prefix ? { prefix } : {}) }) };
}

/** Parse JSON text, recording why not (the schema then says what the value must be). */
export function parseJson(text: string, reasons: string[], what: string): { value?: unknown } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    reasons.push(`${what} is not valid JSON: ${(err as Error).message}`);
    return {};
  }
}
