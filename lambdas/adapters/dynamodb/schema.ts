/**
 * The conversation table's layout, shared by the CDK stack (`lib/`), the local runner and the store so
 * all three create and read the same table. Type-only SDK imports: importing this file from the CDK app
 * pulls no AWS SDK code.
 *
 * Single table, one partition per run:
 *
 * | item | `pk`           | `sk`           | attributes                                                  |
 * |------|----------------|----------------|-------------------------------------------------------------|
 * | run  | `RUN#<runId>`  | `RUN`          | the `RunRecord` fields (large text gzipped), `expiresAt`     |
 * | turn | `RUN#<runId>`  | `TURN#00001`   | `index`, `body` (turn JSON: S, or gzipped JSON: B), `expiresAt` |
 * | step | `RUN#<runId>`  | `STEP#00001#0001` | `index`, `seq`, `body` (step JSON, S or gzipped B), `expiresAt` |
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { InvalidInputError } from '../../core/errors';

/** Key schema and attribute names of the conversation table. */
export const CONVERSATION_TABLE_SCHEMA = {
  /** Partition key (S): `RUN#<runId>`. */
  partitionKey: 'pk',
  /** Sort key (S): `RUN` for the run item, `TURN#<index padded to 5>` for turns. */
  sortKey: 'sk',
  /** Epoch seconds; configure it as the table's TTL attribute (dynalite ignores it). */
  ttlAttribute: 'expiresAt',
  /** Sort key of the run item. */
  runSortKey: 'RUN',
  /** Prefix of turn sort keys. */
  turnSortKeyPrefix: 'TURN#',
  /** Prefix of the sort keys of a turn-in-progress's steps: `STEP#<turn padded to 5>#<seq padded to 4>`. */
  stepSortKeyPrefix: 'STEP#',
  /** Digits of the zero-padded turn index (turn indexes up to 99999). */
  turnIndexDigits: 5,
} as const;

/** Largest turn index the sort-key padding supports. */
export const MAX_TURN_INDEX = 10 ** CONVERSATION_TABLE_SCHEMA.turnIndexDigits - 1;

/**
 * `CreateTableCommand` input for the conversation table (on-demand billing). The TTL attribute is set
 * separately (`UpdateTimeToLive`, or `timeToLiveAttribute` in CDK) because CreateTable cannot set it.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = CONVERSATION_TABLE_SCHEMA;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
  };
}

/** Partition key value of a run. */
export function runPartitionKey(runId: string): string {
  if (!runId) throw new InvalidInputError('runId must be a non-empty string');
  return `RUN#${runId}`;
}

/** Sort key of turn `index` (an integer 0..99999). Throws `InvalidInputError` outside that range. */
export function turnSortKey(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_TURN_INDEX) {
    throw new InvalidInputError(`turn index must be an integer from 0 to ${MAX_TURN_INDEX}, got ${index}`);
  }
  return CONVERSATION_TABLE_SCHEMA.turnSortKeyPrefix + String(index).padStart(CONVERSATION_TABLE_SCHEMA.turnIndexDigits, '0');
}

/** Prefix of the step sort keys of turn `index`. */
export function stepSortKeyPrefix(index: number): string {
  return CONVERSATION_TABLE_SCHEMA.stepSortKeyPrefix + turnSortKey(index).slice(CONVERSATION_TABLE_SCHEMA.turnSortKeyPrefix.length) + '#';
}

/** Sort key of step `seq` (1..9999) of turn `index`. */
export function stepSortKey(index: number, seq: number): string {
  if (!Number.isInteger(seq) || seq < 1 || seq > 9999) throw new InvalidInputError(`step seq must be an integer from 1 to 9999, got ${seq}`);
  return stepSortKeyPrefix(index) + String(seq).padStart(4, '0');
}
