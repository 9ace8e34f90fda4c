/**
 * Schemas of the files users write: job manifest, batch-manifest line, watch profiles, scripted model, price
 * table, start-run request. Declared with zod (run `options` from the settings table), exported as JSON Schema
 * to `schemas/*.schema.json` by the build, so editors check these files as they are written. The handlers'
 * validators stay the authority at run time (they also check things a schema cannot: the bucket, prefixes, sizes).
 */
import { z } from 'zod';
import { MAX_JOB_QUESTIONS } from './batch/job-manifest';
import { MAX_WATCH_PROFILES_JSON_BYTES, WATCH_PROFILE_NAME } from './batch/watch-profiles';
import { priceTableSchema } from './pricing';
import { scriptSchema } from './script-schema';
import { RUN_SETTING_NAMES, SETTINGS } from './settings';
import { documentsSchema, questionSchema, startRequestShape, tagsSchema } from './start-request';

const text = z.string().regex(/\S/, 'must not be blank');

/** Per-run options: every run setting of the table, no other key. */
export const runOptionsSchema = z.strictObject(Object.fromEntries(
  RUN_SETTING_NAMES.map((k) => [k, (SETTINGS[k].schema as z.ZodType).describe(SETTINGS[k].help).optional()]),
)).describe('Per-run options (settings table); unknown keys are refused');

const tags = tagsSchema;
const documents = documentsSchema;

/** `jobs/<name>.json`: one run per question. */
export const jobManifestSchema = z.union([
  z.strictObject({ question: questionSchema, documents, options: runOptionsSchema.optional(), tags: tags.optional() }),
  z.strictObject({ questions: z.array(text).min(1).max(MAX_JOB_QUESTIONS), documents, options: runOptionsSchema.optional(), tags: tags.optional() }),
]).describe('rlm-pipeline job manifest (jobs/<name>.json), docs/triggers.md');

/** One line of a batch manifest (`batches/pending/*.jsonl`, `rlm batch`). */
export const batchLineSchema = z.strictObject({
  id: z.string().optional(), question: questionSchema, documents, options: runOptionsSchema.optional(), tags: tags.optional(),
}).describe('One line of an rlm-pipeline batch manifest (JSON Lines), docs/triggers.md');

/** `watchProfiles`: folder under inbox/ -> standing questions. */
export const watchProfilesSchema = z.record(
  z.string().regex(WATCH_PROFILE_NAME),
  z.strictObject({ questions: z.array(text).min(1), options: runOptionsSchema.optional() }),
).describe(`rlm-pipeline watch profiles (at most ${MAX_WATCH_PROFILES_JSON_BYTES} bytes as JSON), docs/triggers.md`);

/** A scripted model file (`--llm scripted:FILE`): declared with the adapter's validator (`script-schema.ts`). */
export const scriptedModelSchema = scriptSchema;

/** A price table (`--prices FILE`): declared next to the prices (`pricing.ts`). */
export { priceTableSchema };

/** The input of a run execution (events/start-run.json): the start request's own schema, with the run options. */
export const startRunSchema = z.strictObject(startRequestShape(runOptionsSchema)).describe('Input of an rlm-pipeline run execution');

/** File name (under schemas/) -> schema. */
export const FILE_SCHEMAS = {
  'job-manifest.schema.json': jobManifestSchema,
  'batch-line.schema.json': batchLineSchema,
  'watch-profiles.schema.json': watchProfilesSchema,
  'scripted-model.schema.json': scriptedModelSchema,
  'price-table.schema.json': priceTableSchema,
  'start-run.schema.json': startRunSchema,
  'run-options.schema.json': runOptionsSchema,
} as const;

/** The JSON Schema documents of `FILE_SCHEMAS` (draft 2020-12). */
export function fileJsonSchemas(): Record<keyof typeof FILE_SCHEMAS, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(FILE_SCHEMAS).map(([file, schema]) => [
    file, z.toJSONSchema(schema as z.ZodType, { target: 'draft-2020-12' }) as Record<string, unknown>,
  ])) as Record<keyof typeof FILE_SCHEMAS, Record<string, unknown>>;
}
