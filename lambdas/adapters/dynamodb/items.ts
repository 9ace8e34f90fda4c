/**
 * Mapping between domain records (`RunRecord`, `TurnRecord`) and DynamoDB items.
 *
 * Run item: each `RunRecord` field is its own attribute (native types, so conditions and updates can
 * address `status`, `iterations`, ...), except the potentially long text fields, which are gzipped
 * into a `B` attribute when over `RUN_TEXT_COMPRESS_THRESHOLD_BYTES` to keep run items small:
 * `question`, `answer`, `stopDetail`, and `documents` (stored as JSON text: a directory can list
 * thousands of files).
 *
 * Turn item: `index` (N) and `body`, the whole `TurnRecord` as JSON (`S`), gzipped (`B`) over 300 KB.
 */
import type { RunRecord, TurnRecord, TurnStepRecord } from '../../core/types';
import {
  decodeText,
  encodeText,
  estimateItemBytes,
  fromAttr,
  MAX_ENCODED_TEXT_BYTES,
  toAttr,
  TURN_COMPRESS_THRESHOLD_BYTES,
  type Item,
} from './codec';
import { ConversationItemTooLargeError, CorruptConversationItemError } from './errors';
import { CONVERSATION_TABLE_SCHEMA, runPartitionKey, stepSortKey, turnSortKey } from './schema';

/** Run text fields over this many UTF-8 bytes are gzipped. */
export const RUN_TEXT_COMPRESS_THRESHOLD_BYTES = 8 * 1024;

/** Run fields stored as (possibly gzipped) text. */
const RUN_TEXT_FIELDS: ReadonlySet<string> = new Set(['question', 'answer', 'stopDetail']);
/** Run fields stored as (possibly gzipped) JSON text. */
const RUN_JSON_TEXT_FIELDS: ReadonlySet<string> = new Set(['documents']);

const { partitionKey: PK, sortKey: SK, runSortKey } = CONVERSATION_TABLE_SCHEMA;

/** Key of the run item. */
export function runKey(runId: string): Item {
  return { [PK]: { S: runPartitionKey(runId) }, [SK]: { S: runSortKey } };
}

/** Key of a turn item. */
export function turnKey(runId: string, index: number): Item {
  return { [PK]: { S: runPartitionKey(runId) }, [SK]: { S: turnSortKey(index) } };
}

/** Encode one run field as the run item stores it. */
export function runFieldAttr(field: string, value: unknown, runId: string): Item[string] {
  const what = `run ${runId} ${field}`;
  if (RUN_TEXT_FIELDS.has(field)) return encodeText(String(value), what, RUN_TEXT_COMPRESS_THRESHOLD_BYTES);
  if (RUN_JSON_TEXT_FIELDS.has(field)) {
    return encodeText(JSON.stringify(value), what, RUN_TEXT_COMPRESS_THRESHOLD_BYTES);
  }
  return toAttr(value);
}

/** The run item for `run` (`expiresAt` overrides the record's when given). */
export function runToItem(run: RunRecord, expiresAt?: number): Item {
  const item: Item = runKey(run.runId);
  const record: Record<string, unknown> = { ...run };
  if (expiresAt !== undefined) record.expiresAt = expiresAt;
  for (const [field, value] of Object.entries(record)) {
    if (value !== undefined) item[field] = runFieldAttr(field, value, run.runId);
  }
  const size = estimateItemBytes(item);
  if (size > MAX_ENCODED_TEXT_BYTES) {
    throw new ConversationItemTooLargeError(
      `run ${run.runId} item is too large for DynamoDB (~${size} bytes after compression, limit ${MAX_ENCODED_TEXT_BYTES})`,
    );
  }
  return item;
}

/** The `RunRecord` stored in a run item. */
export function itemToRun(item: Item): RunRecord {
  const record: Record<string, unknown> = {};
  for (const [field, av] of Object.entries(item)) {
    if (field === PK || field === SK) continue;
    if (RUN_TEXT_FIELDS.has(field)) record[field] = decodeText(av, field);
    else if (RUN_JSON_TEXT_FIELDS.has(field)) record[field] = JSON.parse(decodeText(av, field));
    else record[field] = fromAttr(av);
  }
  return record as unknown as RunRecord;
}

/** The turn item for `turn`. */
export function turnToItem(turn: TurnRecord, expiresAt?: number): Item {
  const item: Item = {
    ...turnKey(turn.runId, turn.index),
    index: { N: String(turn.index) },
    body: encodeText(JSON.stringify(turn), `turn ${turn.index} of run ${turn.runId}`, TURN_COMPRESS_THRESHOLD_BYTES),
  };
  if (expiresAt !== undefined) item[CONVERSATION_TABLE_SCHEMA.ttlAttribute] = { N: String(expiresAt) };
  return item;
}

/** The `TurnRecord` stored in a turn item. */
export function itemToTurn(item: Item): TurnRecord {
  const body = item.body;
  if (!body) throw new CorruptConversationItemError(`turn item ${item[SK]?.S ?? '?'} has no body attribute`);
  return JSON.parse(decodeText(body, 'turn body')) as TurnRecord;
}

/** The step item for `step`. */
export function stepToItem(step: TurnStepRecord, expiresAt?: number): Item {
  const item: Item = {
    [PK]: { S: runPartitionKey(step.runId) },
    [SK]: { S: stepSortKey(step.turn, step.seq) },
    index: { N: String(step.turn) },
    seq: { N: String(step.seq) },
    body: encodeText(JSON.stringify(step), `step ${step.seq} of turn ${step.turn} of run ${step.runId}`, TURN_COMPRESS_THRESHOLD_BYTES),
  };
  if (expiresAt !== undefined) item[CONVERSATION_TABLE_SCHEMA.ttlAttribute] = { N: String(expiresAt) };
  return item;
}

/** The `TurnStepRecord` stored in a step item. */
export function itemToStep(item: Item): TurnStepRecord {
  const body = item.body;
  if (!body) throw new CorruptConversationItemError(`step item ${item[SK]?.S ?? '?'} has no body attribute`);
  return JSON.parse(decodeText(body, 'step body')) as TurnStepRecord;
}
