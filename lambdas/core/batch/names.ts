/**
 * Deterministic execution names. A Step Functions execution name is the run ID, so the same object
 * version (or batch line) always maps to the same name and a duplicate event gets
 * `ExecutionAlreadyExists` instead of a second run.
 *
 * Names use `[A-Za-z0-9_-]` only (allowed by Step Functions and by the handlers' run-ID check) and
 * are at most 80 characters.
 */
import { createHash } from 'node:crypto';
import { GENERATED_NAME_PATTERN, MAX_RUN_ID_CHARS } from '../bucket-layout';

/** Longest execution name Step Functions accepts. */
export const MAX_EXECUTION_NAME_CHARS = MAX_RUN_ID_CHARS;

/** True when `name` is a valid execution name (and run ID) under our stricter alphabet. */
export function isValidExecutionName(name: string): boolean {
  return GENERATED_NAME_PATTERN.test(name);
}

/** Hex SHA-256 of the parts (joined unambiguously), cut to `length` characters. */
export function shortHash(parts: ReadonlyArray<string | number | undefined>, length = 16): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, length);
}

/** Lower-case `[a-z0-9-]` form of `text`, at most `max` characters, never empty. */
export function slug(text: string, max: number): string {
  const s = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/g, '');
  return s || 'x';
}

/** The identity of an S3 object version: version ID when the bucket is versioned, else ETag, else sequencer. */
export function objectVersionTag(obj: { versionId?: string; etag?: string; sequencer?: string }): string {
  return obj.versionId ?? (obj.etag ? obj.etag.replace(/"/g, '') : undefined) ?? obj.sequencer ?? 'unversioned';
}

/**
 * `<kind>-<label>-<hash>-<suffix>`: label slugged to fit, hash over the source identity. Always valid
 * and at most 80 characters.
 */
export function executionName(kind: string, label: string, source: ReadonlyArray<string | number | undefined>, suffix: string): string {
  const hash = shortHash(source, 16);
  const fixed = `${slug(kind, 10)}--${hash}-${suffix}`.length;
  const room = Math.max(1, Math.min(40, MAX_EXECUTION_NAME_CHARS - fixed));
  const name = `${slug(kind, 10)}-${slug(label, room)}-${hash}-${suffix}`;
  return name.slice(0, MAX_EXECUTION_NAME_CHARS);
}

/** Run name for question `index` of the job manifest at `bucket/key` (this object version). */
export function jobRunName(obj: { bucket: string; key: string; versionId?: string; etag?: string; sequencer?: string }, index: number): string {
  const name = obj.key.replace(/^jobs\//, '').replace(/\.json$/i, '');
  return executionName('job', name, [obj.bucket, obj.key, objectVersionTag(obj)], `q${index}`);
}

/** Run name for standing question `index` of watch profile `profile` on the uploaded document. */
export function inboxRunName(profile: string, obj: { bucket: string; key: string; versionId?: string; etag?: string; sequencer?: string }, index: number): string {
  const file = obj.key.split('/').pop() ?? obj.key;
  return executionName('inbox', `${profile}-${file}`, [obj.bucket, obj.key, objectVersionTag(obj), profile], `q${index}`);
}

/** Batch ID of a manifest: readable name plus a hash of where it came from and its version/content. */
export function batchIdFor(name: string, source: ReadonlyArray<string | number | undefined>): string {
  return `${slug(name, 40)}-${shortHash(source, 10)}`;
}

/** Run name of batch item `index` (execution name of its child run). */
export function batchItemRunName(batchId: string, index: number): string {
  const suffix = `-${index}`;
  return `b-${batchId.slice(0, MAX_EXECUTION_NAME_CHARS - 2 - suffix.length)}${suffix}`;
}
