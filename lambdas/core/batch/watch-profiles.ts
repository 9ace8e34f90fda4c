/**
 * Watch folders: a document uploaded under `inbox/<profile>/...` is run through the profile's standing
 * questions. Profiles are deployment config (`watchProfiles` in the stack config), handed to the trigger
 * Lambda as the JSON environment variable `WATCH_PROFILES`.
 *
 * Size limit: all environment variables of a Lambda share 4 KB, so the serialised profiles may take at
 * most `MAX_WATCH_PROFILES_JSON_BYTES` (3,072 bytes); `cdk synth` fails with `ConfigError` beyond it.
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import { runOptionsSchema } from '../settings';
import { questionSchema } from '../start-request';
import type { RunConfig } from '../types';
import { reasonsOfSchema } from './fields';
import type { PlannedRun } from './job-manifest';
import { inboxRunName } from './names';
import type { CreatedObject } from './object-event';

/** Largest serialised `watchProfiles` (bytes): Lambda environment variables share 4 KB in total. */
export const MAX_WATCH_PROFILES_JSON_BYTES = 3072;
/** Profile names: the folder under `inbox/`. */
export const WATCH_PROFILE_NAME = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * `watchProfiles`, declared once: folder under inbox/ -> standing questions. The stack (`cdk synth`) and the
 * trigger Lambda validate with it; `schemas/watch-profiles.schema.json` is exported from it. The size limit is
 * checked on top (`serializeWatchProfiles`).
 */
export const watchProfilesSchema = z.record(
  z.string().regex(WATCH_PROFILE_NAME, 'profile names are 1-40 letters, digits, "_" or "-" (the folder under inbox/)'),
  z.strictObject({
    questions: z.array(questionSchema, { error: 'must be a non-empty array of non-empty strings' }).min(1, 'must be a non-empty array of non-empty strings'),
    options: runOptionsSchema.optional(),
  }, { error: 'must be an object {questions, options?}' }),
  { error: 'must be an object of profile name -> {questions, options?}' },
).describe(`rlm-pipeline watch profiles (at most ${MAX_WATCH_PROFILES_JSON_BYTES} bytes as JSON), docs/triggers.md`);

/** Standing questions of one watch folder. */
export interface WatchProfile {
  questions: string[];
  options?: Partial<RunConfig>;
}

/** Profile name -> profile. */
export type WatchProfiles = Record<string, WatchProfile>;

/** Validate profiles from config (absent: none). Throws `ConfigError` listing every problem, each naming its field. */
export function validateWatchProfiles(raw: unknown): WatchProfiles {
  if (raw === undefined || raw === null) return {};
  const checked = reasonsOfSchema(watchProfilesSchema, raw, 'watchProfiles', 'watchProfiles');
  if (!checked.ok) throw new ConfigError(checked.reasons.join('; '));
  return checked.data as WatchProfiles;
}

/** Serialise validated profiles for the environment; throws `ConfigError` beyond the size limit. */
export function serializeWatchProfiles(profiles: WatchProfiles): string {
  const json = JSON.stringify(validateWatchProfiles(profiles));
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_WATCH_PROFILES_JSON_BYTES) {
    throw new ConfigError(`watchProfiles is ${bytes} bytes as JSON; the limit is ${MAX_WATCH_PROFILES_JSON_BYTES} (Lambda environment variables share 4 KB). Shorten the questions or use job manifests.`);
  }
  return json;
}

/**
 * Parse watch profiles given as JSON (absent or empty: no profiles). `source` names where the JSON came
 * from in the error: the `WATCH_PROFILES` environment variable (default) or the `watchProfiles` context key.
 */
export function parseWatchProfilesJson(json: string | undefined, source = 'WATCH_PROFILES'): WatchProfiles {
  if (!json?.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateWatchProfiles(raw);
}

/** The runs an inbox upload starts: one per standing question, on that one document. */
export function planInboxRuns(profileName: string, profile: WatchProfile, source: CreatedObject): PlannedRun[] {
  return profile.questions.map((question, i) => ({
    name: inboxRunName(profileName, source, i),
    request: {
      question,
      documents: [`s3://${source.bucket}/${source.key}`],
      ...(profile.options ? { options: profile.options } : {}),
      tags: { trigger: 'inbox', profile: profileName, source: `s3://${source.bucket}/${source.key}`, question: String(i) },
    },
  }));
}
