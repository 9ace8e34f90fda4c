/**
 * Job manifests: `jobs/<name>.json` starts one run per question.
 *
 * ```json
 * { "question": "...", "documents": ["documents/report.txt", "documents/logs/"], "options": {"maxIterations": 10}, "tags": {"team": "ops"} }
 * { "questions": ["...", "..."], "documents": ["s3://<bucket>/documents/a.txt"] }
 * ```
 */
import { z } from 'zod';
import { runOptionsSchema } from '../settings';
import { questionSchema, tagsSchema } from '../start-request';
import type { RunConfig, StartRunRequest } from '../types';
import type { DocumentResolver } from './documents';
import { resolveDocumentEntries } from './documents';
import { ManifestError } from './errors';
import { manifestDocumentsSchema, parseJson, reasonsOfSchema } from './fields';
import { jobRunName } from './names';
import type { CreatedObject } from './object-event';

/** Largest job manifest read (bytes). */
export const MAX_JOB_MANIFEST_BYTES = 256 * 1024;
/** Most questions one job manifest may ask. */
export const MAX_JOB_QUESTIONS = 100;

const NEEDS_QUESTION = 'needs "question" (a string) or "questions" (an array of strings), not both';

/**
 * `jobs/<name>.json`, declared once: the trigger validates manifests with it and `schemas/job-manifest.schema.json`
 * is exported from it. "question or questions" is a check on the object (it runs alongside the field checks, so
 * every problem is listed at once) and a `oneOf` in the JSON Schema.
 */
export const jobManifestSchema = z.strictObject({
  question: questionSchema.optional(),
  questions: z.array(questionSchema, { error: 'must be a non-empty array of strings' })
    .min(1, 'must be a non-empty array of strings')
    .max(MAX_JOB_QUESTIONS, { error: (issue) => `has ${(issue.input as unknown[]).length} questions; at most ${MAX_JOB_QUESTIONS} per job manifest` })
    .optional(),
  documents: manifestDocumentsSchema,
  options: runOptionsSchema.optional(),
  tags: tagsSchema.optional(),
}, { error: 'must be a JSON object' }).superRefine((manifest, ctx) => {
  const m = manifest as { question?: unknown; questions?: unknown };
  if ((m.question === undefined) === (m.questions === undefined)) ctx.addIssue({ code: 'custom', message: NEEDS_QUESTION });
}, { when: (payload) => payload.value !== null && typeof payload.value === 'object' && !Array.isArray(payload.value) })
  .meta({ oneOf: [{ required: ['question'] }, { required: ['questions'] }] })
  .describe('rlm-pipeline job manifest (jobs/<name>.json), docs/triggers.md');

/** A validated job manifest. */
export interface JobManifest {
  questions: string[];
  documents: StartRunRequest['documents'];
  options?: Partial<RunConfig>;
  tags?: Record<string, string>;
}

/** One run to start: its execution name (= run ID) and input. */
export interface PlannedRun {
  name: string;
  request: StartRunRequest;
}

/**
 * Parse and validate a job manifest: JSON, then `jobManifestSchema`, then the bucket's rules for each document
 * (prefixes, bucket, no `..`). Throws `ManifestError` listing every problem, each naming its field.
 */
export function parseJobManifest(text: string, resolve: DocumentResolver): JobManifest {
  const reasons: string[] = [];
  const { value } = parseJson(text, reasons, 'the job manifest');
  if (reasons.length) throw new ManifestError(reasons);
  const checked = reasonsOfSchema(jobManifestSchema, value, 'the job manifest');
  reasons.push(...checked.reasons);
  // The documents are resolved even when another field is wrong, so one upload reports every problem.
  const entries = manifestDocumentsSchema.safeParse((value as { documents?: unknown } | null)?.documents);
  const { documents, reasons: docReasons } = resolveDocumentEntries(entries.success ? entries.data : [], resolve);
  reasons.push(...docReasons);
  if (!checked.ok || reasons.length) throw new ManifestError(reasons);
  const { question, questions, options, tags } = checked.data;
  return {
    questions: questions ?? [question as string], documents,
    ...(options ? { options: options as Partial<RunConfig> } : {}), ...(tags ? { tags } : {}),
  };
}

/** The runs a job manifest starts: one per question, named deterministically from the object version. */
export function planJobRuns(manifest: JobManifest, source: CreatedObject): PlannedRun[] {
  return manifest.questions.map((question, i) => ({
    name: jobRunName(source, i),
    request: {
      question,
      documents: manifest.documents,
      ...(manifest.options ? { options: manifest.options } : {}),
      tags: { ...(manifest.tags ?? {}), trigger: 'job', source: `s3://${source.bucket}/${source.key}`, question: String(i) },
    },
  }));
}

/** The failure record written next to a bad manifest (`jobs/<name>.error.json`). */
export interface JobFailureRecord {
  manifest: string;
  versionId?: string;
  etag?: string;
  failedAt: string;
  reasons: string[];
  /** What to do about it. */
  hint: string;
}

/** Build the failure record of a manifest that started nothing. */
export function jobFailureRecord(source: CreatedObject, reasons: string[], now: Date): JobFailureRecord {
  return {
    manifest: `s3://${source.bucket}/${source.key}`,
    ...(source.versionId ? { versionId: source.versionId } : {}),
    ...(source.etag ? { etag: source.etag } : {}),
    failedAt: now.toISOString(),
    reasons,
    hint: 'No run was started. Fix the manifest and upload it again (a new version starts new runs); see docs/triggers.md.',
  };
}
