/**
 * S3 "Object Created" events as EventBridge delivers them, and which trigger (if any) a key belongs to.
 */
import { TriggerEventError } from './errors';
import { JOB_ERROR_SUFFIX, TRIGGER_PREFIXES } from './layout';

/** The object an Object Created event is about. */
export interface CreatedObject {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
}

/**
 * Read an EventBridge S3 Object Created event (`source: aws.s3`, `detail-type: Object Created`).
 * Throws `TriggerEventError` for anything else.
 */
export function parseObjectCreatedEvent(event: unknown): CreatedObject {
  const e = event as { source?: unknown; 'detail-type'?: unknown; detail?: Record<string, unknown> } | null;
  if (!e || typeof e !== 'object') throw new TriggerEventError('the event is not an object');
  if (e.source !== 'aws.s3' || e['detail-type'] !== 'Object Created') {
    throw new TriggerEventError(`expected an aws.s3 "Object Created" event, got source=${JSON.stringify(e.source)} detail-type=${JSON.stringify(e['detail-type'])}`);
  }
  const bucket = (e.detail?.bucket as { name?: unknown } | undefined)?.name;
  const object = e.detail?.object as Record<string, unknown> | undefined;
  if (typeof bucket !== 'string' || !bucket) throw new TriggerEventError('detail.bucket.name is missing');
  if (!object || typeof object.key !== 'string' || !object.key) throw new TriggerEventError('detail.object.key is missing');
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    bucket, key: object.key,
    ...(typeof object.size === 'number' ? { size: object.size } : {}),
    ...(str(object.etag) ? { etag: str(object.etag) } : {}),
    ...(str(object['version-id']) ? { versionId: str(object['version-id']) } : {}),
    ...(str(object.sequencer) ? { sequencer: str(object.sequencer) } : {}),
  };
}

/** What an uploaded key asks for. */
export type KeyRoute =
  | { kind: 'job' }
  | { kind: 'inbox'; profile: string }
  | { kind: 'ignore'; reason: string };

/**
 * Route a key: `jobs/**.json` (not `*.error.json`) is a job manifest; `inbox/<profile>/<path>` is a
 * watch-folder document; everything else is ignored with a reason (for the log).
 */
export function routeKey(key: string): KeyRoute {
  if (key.startsWith(TRIGGER_PREFIXES.jobs)) {
    if (key.toLowerCase().endsWith(JOB_ERROR_SUFFIX)) return { kind: 'ignore', reason: 'a failure record written by the trigger' };
    if (!/\.json$/i.test(key)) return { kind: 'ignore', reason: 'job manifests end in .json' };
    return { kind: 'job' };
  }
  if (key.startsWith(TRIGGER_PREFIXES.inbox)) {
    if (key.endsWith('/')) return { kind: 'ignore', reason: 'a folder marker' };
    const rest = key.slice(TRIGGER_PREFIXES.inbox.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return { kind: 'ignore', reason: 'inbox documents go under inbox/<profile>/' };
    return { kind: 'inbox', profile: rest.slice(0, slash) };
  }
  return { kind: 'ignore', reason: 'not under jobs/ or inbox/' };
}

/**
 * Keys to try for an event key, most likely first. EventBridge usually sends the key as stored; S3
 * notification formats URL-encode it (`a+b.txt`, `a%20b.txt`), so a decoded form is the fallback.
 */
export function keyCandidates(key: string): string[] {
  const out = [key];
  if (/%[0-9A-Fa-f]{2}|\+/.test(key)) {
    try {
      const decoded = decodeURIComponent(key.replace(/\+/g, ' '));
      if (decoded !== key) out.push(decoded);
    } catch {
      /* not valid percent-encoding: only the raw key */
    }
  }
  return out;
}
