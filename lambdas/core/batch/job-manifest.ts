/**
 * Job manifests: `jobs/<name>.json` starts one run per question.
 *
 * ```json
 * { "question": "...", "documents": ["documents/report.txt", "documents/logs/"], "options": {"maxIterations": 10}, "tags": {"team": "ops"} }
 * { "questions": ["...", "..."], "documents": ["s3://<bucket>/documents/a.txt"] }
 * ```
 */
import type { RunConfig, StartRunRequest } from '../types';
import type { DocumentResolver } from './documents';
import { resolveDocumentEntries } from './documents';
import { ManifestError } from './errors';
import { checkKnownKeys, checkOptions, checkStartRequest, checkTags, parseJsonObject } from './fields';
import { jobRunName } from './names';
import type { CreatedObject } from './object-event';

/** Largest job manifest read (bytes). */
export const MAX_JOB_MANIFEST_BYTES = 256 * 1024;
/** Most questions one job manifest may ask. */
export const MAX_JOB_QUESTIONS = 100;

const JOB_FIELDS = ['question', 'questions', 'documents', 'options', 'tags'] as const;

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
 * Parse and validate a job manifest. Throws `ManifestError` listing every problem: invalid JSON,
 * no question, empty documents, documents outside the allowed prefixes, unknown fields or options.
 */
export function parseJobManifest(text: string, resolve: DocumentResolver): JobManifest {
  const reasons: string[] = [];
  const raw = parseJsonObject(text, reasons, 'the job manifest');
  if (!raw) throw new ManifestError(reasons);
  checkKnownKeys(raw, JOB_FIELDS, reasons, 'the job manifest');

  let questions: unknown[] = [];
  if (raw.question !== undefined && raw.questions !== undefined) reasons.push('give "question" or "questions", not both');
  else if (raw.questions !== undefined) {
    if (!Array.isArray(raw.questions) || raw.questions.length === 0) reasons.push('"questions" must be a non-empty array of strings');
    else questions = raw.questions;
  } else if (raw.question !== undefined) questions = [raw.question];
  else reasons.push('the job manifest needs "question" (a string) or "questions" (an array of strings)');
  if (questions.length > MAX_JOB_QUESTIONS) reasons.push(`${questions.length} questions; at most ${MAX_JOB_QUESTIONS} per job manifest`);

  const { documents, reasons: docReasons } = resolveDocumentEntries(raw.documents, resolve);
  reasons.push(...docReasons);
  const options = checkOptions(raw.options, reasons);
  const tags = checkTags(raw.tags, reasons);

  const valid: string[] = [];
  questions.forEach((q, i) => {
    const where = questions.length > 1 || raw.questions !== undefined ? `questions[${i}]: ` : '';
    if (typeof q !== 'string' || !q.trim()) {
      reasons.push(`${where}"question" must be a non-empty string`);
      return;
    }
    const checked = checkStartRequest({ question: q, documents: documents.length ? documents : ['placeholder'] }, reasons, where);
    if (checked) valid.push(checked.question);
  });
  if (reasons.length) throw new ManifestError(reasons);
  return { questions: valid, documents, ...(options ? { options } : {}), ...(tags ? { tags } : {}) };
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
