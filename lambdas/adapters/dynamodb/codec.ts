/**
 * Minimal DynamoDB attribute codec for the store's plain-JSON data (no dependency on
 * `@aws-sdk/util-dynamodb`), plus transparent gzip of large text attributes.
 *
 * Large text is stored as `S` when small and as gzipped UTF-8 in a `B` attribute when over a threshold;
 * the attribute type tells the reader which, so decoding is transparent.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvalidInputError } from '../../core/errors';
import { ConversationItemTooLargeError, CorruptConversationItemError } from './errors';

/** A DynamoDB item. */
export type Item = Record<string, AttributeValue>;

/** Text over this many UTF-8 bytes is gzipped (turn bodies). */
export const TURN_COMPRESS_THRESHOLD_BYTES = 300 * 1024;
/** Largest encoded (compressed or not) text attribute the store writes: leaves room for keys. */
export const MAX_ENCODED_TEXT_BYTES = 390 * 1024;

/** Encode a JSON-compatible value (`undefined` object members are dropped). */
export function toAttr(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'boolean':
      return { BOOL: value };
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidInputError(`cannot store non-finite number ${value}`);
      return { N: String(value) };
    case 'object': {
      if (Array.isArray(value)) return { L: value.map((v) => toAttr(v === undefined ? null : v)) };
      const M: Item = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== undefined) M[k] = toAttr(v);
      }
      return { M };
    }
    default:
      throw new InvalidInputError(`cannot store a value of type ${typeof value}`);
  }
}

/** Decode an attribute written by `toAttr` (B attributes come back as `Uint8Array`). */
export function fromAttr(av: AttributeValue): unknown {
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) return Number(av.N);
  if (av.BOOL !== undefined) return av.BOOL;
  if (av.NULL !== undefined) return null;
  if (av.L !== undefined) return av.L.map(fromAttr);
  if (av.M !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(av.M)) out[k] = fromAttr(v);
    return out;
  }
  if (av.B !== undefined) return av.B;
  if (av.SS !== undefined) return av.SS;
  if (av.NS !== undefined) return av.NS.map(Number);
  throw new CorruptConversationItemError(`unsupported attribute value ${JSON.stringify(Object.keys(av))}`);
}

/**
 * Encode text as `S`, or as gzip in `B` when it is over `thresholdBytes` UTF-8 bytes. Throws
 * `ConversationItemTooLargeError` (naming `what`) when even the encoded form exceeds `maxBytes`.
 */
export function encodeText(
  text: string,
  what: string,
  thresholdBytes: number = TURN_COMPRESS_THRESHOLD_BYTES,
  maxBytes: number = MAX_ENCODED_TEXT_BYTES,
): AttributeValue {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= thresholdBytes) return { S: text };
  const gz = gzipSync(Buffer.from(text, 'utf8'));
  if (gz.byteLength > maxBytes) {
    throw new ConversationItemTooLargeError(
      `${what} is too large for DynamoDB: ${bytes} bytes, ${gz.byteLength} bytes gzipped ` +
        `(limit ${maxBytes}); store the large content as an artifact instead`,
    );
  }
  return { B: new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength) };
}

/** Decode an attribute written by `encodeText` (S as is, B gunzipped). */
export function decodeText(av: AttributeValue, what: string): string {
  if (av.S !== undefined) return av.S;
  if (av.B !== undefined) return gunzipSync(av.B).toString('utf8');
  throw new CorruptConversationItemError(`${what}: expected a string or binary attribute`);
}

/** Rough size of an item as DynamoDB counts it (attribute names + values), for early refusal. */
export function estimateItemBytes(item: Item): number {
  let total = 0;
  for (const [k, v] of Object.entries(item)) total += Buffer.byteLength(k, 'utf8') + estimateAttrBytes(v);
  return total;
}

function estimateAttrBytes(av: AttributeValue): number {
  if (av.S !== undefined) return Buffer.byteLength(av.S, 'utf8');
  if (av.N !== undefined) return av.N.length;
  if (av.B !== undefined) return av.B.byteLength;
  if (av.L !== undefined) return 3 + av.L.reduce((n, v) => n + 1 + estimateAttrBytes(v), 0);
  if (av.M !== undefined) return 3 + estimateItemBytes(av.M) + Object.keys(av.M).length;
  return 1;
}
