/**
 * Schemas of the files users write: job manifest, batch-manifest line, watch profiles, scripted model, price
 * table, start-run request, run options. Each is declared once, next to the code that reads the file, and is
 * that code's validator at run time (checks a schema cannot express, like the bucket's prefixes, unique ids and
 * sizes, are layered on top there). Collected here and exported as JSON Schema to `schemas/*.schema.json` by the
 * build, so editors check these files as they are written.
 */
import { z } from 'zod';
import { batchLineSchema } from './batch/batch-manifest';
import { jobManifestSchema } from './batch/job-manifest';
import { watchProfilesSchema } from './batch/watch-profiles';
import { priceTableSchema } from './pricing';
import { scriptSchema } from './script-schema';
import { runOptionsSchema } from './settings';
import { startRequestShape } from './start-request';

export { batchLineSchema, jobManifestSchema, runOptionsSchema, watchProfilesSchema };

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
