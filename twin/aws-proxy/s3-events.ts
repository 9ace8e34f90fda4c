/**
 * S3 -> EventBridge in the twin: the "Object Created" event S3 sends to the default bus for a bucket
 * with EventBridge notifications on, and the EventBridge event-pattern matching that decides which
 * rule's targets get it. Covers the pattern operators the template's rules use (exact values,
 * `prefix`, `suffix`, `wildcard`, `exists`, `anything-but` of values); anything else is rejected loudly.
 */
import { randomUUID } from 'node:crypto';
import type { CreatedObjectNotice } from './aws-proxy';

/** An EventBridge event (the envelope). */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** The event S3 sends to EventBridge for a created object (shape of the S3 user guide's example). */
export function objectCreatedEvent(notice: CreatedObjectNotice, account: string, region: string): EventBridgeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:s3:::${notice.bucket}`],
    detail: {
      version: '0',
      bucket: { name: notice.bucket },
      object: {
        key: notice.key, size: notice.size,
        ...(notice.etag ? { etag: notice.etag } : {}),
        ...(notice.versionId ? { 'version-id': notice.versionId } : {}),
        sequencer: Date.now().toString(16).toUpperCase().padStart(18, '0'),
      },
      'request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      requester: account,
      'source-ip-address': '127.0.0.1',
      reason: notice.reason,
    },
  };
}

function wildcardRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function matchValue(rule: unknown, value: unknown, present: boolean): boolean {
  if (rule === null || typeof rule !== 'object') return present && (Array.isArray(value) ? value.includes(rule) : value === rule);
  const r = rule as Record<string, unknown>;
  const [op] = Object.keys(r);
  const values = Array.isArray(value) ? value : [value];
  const strings = values.filter((v): v is string => typeof v === 'string');
  switch (op) {
    case 'prefix': return strings.some((s) => s.startsWith(String(r.prefix)));
    case 'suffix': return strings.some((s) => s.endsWith(String(r.suffix)));
    case 'wildcard': return strings.some((s) => wildcardRegex(String(r.wildcard)).test(s));
    case 'exists': return r.exists ? present : !present;
    case 'anything-but': {
      const but = Array.isArray(r['anything-but']) ? r['anything-but'] : [r['anything-but']];
      return present && values.every((v) => !but.includes(v));
    }
    default: throw new Error(`the twin's event-pattern matcher does not support ${JSON.stringify(rule)}`);
  }
}

/** True when `event` matches the EventBridge `pattern` (every field listed must match one of its values). */
export function matchesEventPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  for (const [field, rule] of Object.entries(pattern)) {
    const present = field in event;
    const value = event[field];
    if (Array.isArray(rule)) {
      if (!rule.some((r) => matchValue(r, value, present))) return false;
    } else if (rule && typeof rule === 'object') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
      if (!matchesEventPattern(rule as Record<string, unknown>, value as Record<string, unknown>)) return false;
    } else {
      throw new Error(`event pattern field ${field} must be an array or an object, got ${JSON.stringify(rule)}`);
    }
  }
  return true;
}
