/**
 * The S3 trigger: an Object Created event for `jobs/*.json` starts one run per question of the job
 * manifest; one for `inbox/<profile>/...` runs the profile's standing questions on that document.
 *
 * Duplicate events are harmless: execution names are derived from the object version, and an
 * existing execution counts as started. A bad manifest gets `jobs/<name>.error.json` and starts nothing.
 * Start failures other than "already exists" throw, so the Lambda's asynchronous retries (and then its
 * dead-letter queue) keep the event; runs already started are not started twice on retry.
 */
import type { Logger } from '../ports';
import { bucketDocumentResolver } from './documents';
import { ManifestError, ObjectTooLargeError } from './errors';
import { jobFailureRecord, MAX_JOB_MANIFEST_BYTES, parseJobManifest, planJobRuns, type PlannedRun } from './job-manifest';
import { jobErrorKey } from './layout';
import { keyCandidates, parseObjectCreatedEvent, routeKey, type CreatedObject } from './object-event';
import type { ExecutionStarter, ObjectStore, StartOutcome } from './ports';
import { planInboxRuns, type WatchProfiles } from './watch-profiles';

/** What the trigger needs. */
export interface TriggerDeps {
  objects: ObjectStore;
  starter: ExecutionStarter;
  /** The pipeline bucket; events for other buckets are ignored. */
  bucket: string;
  watchProfiles: WatchProfiles;
  logger: Logger;
  now?: () => number;
}

/** What one event did (returned by the Lambda, handy in tests and logs). */
export interface TriggerResult {
  key: string;
  action: 'started' | 'ignored' | 'rejected';
  runs: Array<{ name: string; outcome: StartOutcome }>;
  reasons?: string[];
  errorRecord?: string;
}

/** Handle one EventBridge S3 Object Created event. */
export async function handleObjectCreated(deps: TriggerDeps, event: unknown): Promise<TriggerResult> {
  const obj = parseObjectCreatedEvent(event);
  const ignore = (reason: string): TriggerResult => {
    deps.logger.info('object ignored', { key: obj.key, reason });
    return { key: obj.key, action: 'ignored', runs: [], reasons: [reason] };
  };
  if (obj.bucket !== deps.bucket) return ignore(`bucket ${obj.bucket} is not the pipeline bucket ${deps.bucket}`);
  const route = routeKey(obj.key);
  if (route.kind === 'ignore') return ignore(route.reason);

  if (route.kind === 'inbox') {
    const profile = deps.watchProfiles[route.profile];
    if (!profile) {
      deps.logger.warn('inbox upload for an unknown watch profile', { key: obj.key, profile: route.profile, known: Object.keys(deps.watchProfiles) });
      return ignore(`no watch profile "${route.profile}" is configured (known: ${Object.keys(deps.watchProfiles).join(', ') || 'none'})`);
    }
    const key = await existingKey(deps, obj.key);
    if (!key) return ignore('the object no longer exists');
    return startAll(deps, obj.key, planInboxRuns(route.profile, profile, { ...obj, key }));
  }

  // A job manifest: read this version, validate, start or record why not.
  let text: string | undefined;
  let key = obj.key;
  try {
    for (const candidate of keyCandidates(obj.key)) {
      const got = await deps.objects.getText(candidate, {
        maxBytes: MAX_JOB_MANIFEST_BYTES, ...(candidate === obj.key && obj.versionId ? { versionId: obj.versionId } : {}),
      });
      if (got) {
        text = got.text;
        key = candidate;
        break;
      }
    }
  } catch (err) {
    if (!(err instanceof ObjectTooLargeError)) throw err;
    return reject(deps, { ...obj, key }, [err.message]);
  }
  if (text === undefined) return ignore('the manifest no longer exists');
  const source: CreatedObject = { ...obj, key };
  try {
    const manifest = parseJobManifest(text, bucketDocumentResolver(deps.bucket));
    return await startAll(deps, key, planJobRuns(manifest, source));
  } catch (err) {
    if (err instanceof ManifestError) return reject(deps, source, err.reasons);
    throw err;
  }
}

/** The stored key of an event key (raw, or URL-decoded when only that exists). */
async function existingKey(deps: TriggerDeps, eventKey: string): Promise<string | undefined> {
  const candidates = keyCandidates(eventKey);
  if (candidates.length === 1) return eventKey;
  for (const k of candidates) if (await deps.objects.exists(k)) return k;
  return undefined;
}

async function startAll(deps: TriggerDeps, key: string, plan: PlannedRun[]): Promise<TriggerResult> {
  const runs: TriggerResult['runs'] = [];
  for (const run of plan) {
    const outcome = await deps.starter.start(run.name, run.request);
    runs.push({ name: run.name, outcome });
    deps.logger.info(outcome === 'started' ? 'run started' : 'run already started (duplicate event)', { key, runId: run.name });
  }
  return { key, action: 'started', runs };
}

async function reject(deps: TriggerDeps, source: CreatedObject, reasons: string[]): Promise<TriggerResult> {
  const errorKey = jobErrorKey(source.key);
  const record = jobFailureRecord(source, reasons, new Date((deps.now ?? Date.now)()));
  await deps.objects.putText(errorKey, JSON.stringify(record, null, 2) + '\n', 'application/json');
  deps.logger.warn('job manifest rejected', { key: source.key, errorRecord: errorKey, reasons });
  return { key: source.key, action: 'rejected', runs: [], reasons, errorRecord: errorKey };
}
