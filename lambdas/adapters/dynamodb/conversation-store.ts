/**
 * `ConversationStore` on DynamoDB (and dynalite, the embedded DynamoDB used locally and in tests).
 *
 * Only conditional single-item writes are used (dynalite has no transactions):
 * - `createRun` / `putTurn`: `attribute_not_exists(pk)`, so a retried Lambda never duplicates or
 *   overwrites an item;
 * - `advanceRun`: only while `status = running AND iterations = :from`;
 * - `finishRun`: only while `status = running`;
 * - `putStep`: `attribute_not_exists(pk)` on the step's own key;
 * - `reopenRun`: only while the run ended without success.
 * When a condition fails, the run item is re-read (consistently) to say why in the error.
 * Item layout: see `schema.ts` and `items.ts`.
 */
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ConfigError, RunNotFoundError, RunStateConflictError, sessionOnEndedRunError, StepAlreadyRecordedError, TurnAlreadyRecordedError } from '../../core/errors';
import type { ConversationStore, RunOutcome, RunProgress } from '../../core/ports';
import type { RunRecord, TurnRecord, TurnStepRecord } from '../../core/types';
import type { Item } from './codec';
import { isConditionalCheckFailed, mapDynamoError } from './errors';
import { itemToRun, itemToStep, itemToTurn, runFieldAttr, runKey, runToItem, stepToItem, turnToItem } from './items';
import { CONVERSATION_TABLE_SCHEMA, runPartitionKey, stepSortKeyPrefix } from './schema';

/** Options of `DynamoConversationStore`. */
export interface DynamoConversationStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** When set, every item gets `expiresAt` = now + ttlDays (epoch seconds) for DynamoDB TTL. */
  ttlDays?: number;
  /** Items per `Query` page in `listTurns` (default: DynamoDB's 1 MB pages). Mostly for tests. */
  queryPageSize?: number;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
}

const { partitionKey: PK, sortKey: SK, turnSortKeyPrefix } = CONVERSATION_TABLE_SCHEMA;

/** The conversation store on a DynamoDB table laid out by `createTableInput`. */
export class DynamoConversationStore implements ConversationStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly ttlDays?: number;
  private readonly queryPageSize?: number;
  private readonly now: () => number;

  constructor(options: DynamoConversationStoreOptions) {
    if (!options.tableName) throw new ConfigError('DynamoConversationStore: tableName is required');
    if (options.ttlDays !== undefined && !(options.ttlDays > 0)) {
      throw new ConfigError(`DynamoConversationStore: ttlDays must be positive, got ${options.ttlDays}`);
    }
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlDays = options.ttlDays;
    this.queryPageSize = options.queryPageSize;
    this.now = options.now ?? Date.now;
  }

  /** Epoch seconds at which a new item may expire, or undefined without TTL. */
  private expiresAt(): number | undefined {
    if (this.ttlDays === undefined) return undefined;
    return Math.floor(this.now() / 1000) + Math.round(this.ttlDays * 86_400);
  }

  /** @inheritdoc */
  async createRun(run: RunRecord): Promise<void> {
    await this.putIfAbsent(runToItem(run, run.expiresAt ?? this.expiresAt()), `createRun ${run.runId}`, (cause) =>
      new RunStateConflictError(`run ${run.runId} already exists`, { cause }));
  }

  /** Put an item only if its key is free; a taken key becomes `onConflict(cause)`. */
  private async putIfAbsent(item: Item, what: string, onConflict: (cause: unknown) => Error): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw onConflict(err);
      throw mapDynamoError(err, what);
    }
  }

  /** @inheritdoc */
  async getRun(runId: string): Promise<RunRecord> {
    const run = await this.findRun(runId);
    if (!run) throw new RunNotFoundError(`run ${runId} not found in table ${this.tableName}`);
    return run;
  }

  /** @inheritdoc */
  async setSandboxSession(runId: string, sessionId: string): Promise<void> {
    const ok = await this.conditionalUpdate(
      `setSandboxSession ${runId}`,
      runId,
      { sandboxSessionId: { S: sessionId } },
      'attribute_exists(#pk) AND #status = :running',
      { ':running': { S: 'running' } },
    );
    if (ok) return;
    const current = await this.getRun(runId); // RunNotFoundError when there is no run
    throw sessionOnEndedRunError(runId, current.status);
  }

  /** @inheritdoc */
  async putTurn(turn: TurnRecord): Promise<void> {
    await this.putIfAbsent(turnToItem(turn, this.expiresAt()), `putTurn ${turn.runId} #${turn.index}`, (cause) =>
      new TurnAlreadyRecordedError(`turn ${turn.index} of run ${turn.runId} is already recorded`, { cause }));
  }

  /** @inheritdoc */
  async advanceRun(runId: string, fromIterations: number, progress: RunProgress): Promise<void> {
    const ok = await this.conditionalUpdate(
      `advanceRun ${runId}`,
      runId,
      {
        iterations: runFieldAttr('iterations', progress.iterations, runId),
        totals: runFieldAttr('totals', progress.totals, runId),
        updatedAt: runFieldAttr('updatedAt', progress.updatedAt, runId),
      },
      'attribute_exists(#pk) AND #status = :running AND #iterations = :from',
      { ':running': { S: 'running' }, ':from': { N: String(fromIterations) } },
    );
    if (ok) return;
    const current = await this.getRun(runId);
    throw new RunStateConflictError(
      `cannot advance run ${runId} from iteration ${fromIterations} to ${progress.iterations}: ` +
        `it is ${current.status} at iteration ${current.iterations}` +
        (current.status === 'running' ? ' (another attempt already advanced it)' : ' (the run has ended)'),
    );
  }

  /** @inheritdoc */
  async listTurns(runId: string): Promise<TurnRecord[]> {
    const items = await this.queryPrefix(runId, turnSortKeyPrefix, `listTurns ${runId}`);
    return items.map(itemToTurn).sort((a, b) => a.index - b.index);
  }

  /** @inheritdoc */
  async putStep(step: TurnStepRecord): Promise<void> {
    await this.putIfAbsent(stepToItem(step, this.expiresAt()), `putStep ${step.runId} #${step.turn}.${step.seq}`, (cause) =>
      new StepAlreadyRecordedError(`step ${step.seq} of turn ${step.turn} of run ${step.runId} is already recorded`, { cause }));
  }

  /** @inheritdoc */
  async listSteps(runId: string, turn: number): Promise<TurnStepRecord[]> {
    const items = await this.queryPrefix(runId, stepSortKeyPrefix(turn), `listSteps ${runId} #${turn}`);
    return items.map(itemToStep).sort((a, b) => a.seq - b.seq);
  }

  /** @inheritdoc */
  async reopenRun(runId: string, updatedAt: string): Promise<void> {
    const ok = await this.conditionalUpdate(
      `reopenRun ${runId}`, runId, { status: { S: 'running' }, updatedAt: { S: updatedAt } },
      'attribute_exists(#pk) AND #status <> :running AND #status <> :succeeded',
      { ':running': { S: 'running' }, ':succeeded': { S: 'succeeded' } },
      ['stopReason', 'stopDetail', 'error', 'answer', 'answerUri'],
    );
    if (ok) return;
    const current = await this.getRun(runId);
    throw new RunStateConflictError(`cannot reopen run ${runId}: it is ${current.status} (only a failed or cancelled run can be resumed)`);
  }

  /** Every item of the run's partition whose sort key starts with `prefix` (consistent, all pages). */
  private async queryPrefix(runId: string, prefix: string, what: string): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
            ExpressionAttributeValues: { ':pk': { S: runPartitionKey(runId) }, ':prefix': { S: prefix } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
            Limit: this.queryPageSize,
          }),
        );
      } catch (err) {
        throw mapDynamoError(err, what);
      }
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** @inheritdoc */
  async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    const set: Item = {};
    for (const [field, value] of Object.entries(outcome)) {
      if (value !== undefined) set[field] = runFieldAttr(field, value, runId);
    }
    const ok = await this.conditionalUpdate(`finishRun ${runId}`, runId, set, 'attribute_exists(#pk) AND #status = :running', {
      ':running': { S: 'running' },
    });
    if (ok) return;
    const current = await this.getRun(runId);
    throw new RunStateConflictError(
      `cannot finish run ${runId} as ${outcome.status}: it already ended as ${current.status}` +
        (current.stopReason ? ` (${current.stopReason})` : ''),
    );
  }

  /** The run, or undefined when absent (consistent read). */
  private async findRun(runId: string): Promise<RunRecord | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: runKey(runId), ConsistentRead: true }),
      );
      return out.Item ? itemToRun(out.Item) : undefined;
    } catch (err) {
      throw mapDynamoError(err, `getRun ${runId}`);
    }
  }

  /**
   * `SET` every attribute of `set` on the run item if `condition` holds. The condition may use `#pk`,
   * `#status`, `#iterations` and its own `values`. Returns false when the condition failed.
   */
  private async conditionalUpdate(
    what: string,
    runId: string,
    set: Item,
    condition: string,
    values: Item,
    remove: string[] = [],
  ): Promise<boolean> {
    const names: Record<string, string> = { '#pk': PK };
    if (condition.includes('#status')) names['#status'] = 'status';
    if (condition.includes('#iterations')) names['#iterations'] = 'iterations';
    const expressionValues: Item = { ...values };
    const assignments = Object.entries(set).map(([field, value], i) => {
      names[`#f${i}`] = field;
      expressionValues[`:v${i}`] = value;
      return `#f${i} = :v${i}`;
    });
    const removals = remove.map((field, i) => {
      names[`#r${i}`] = field;
      return `#r${i}`;
    });
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: `SET ${assignments.join(', ')}` + (removals.length ? ` REMOVE ${removals.join(', ')}` : ''),
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: expressionValues,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw mapDynamoError(err, what);
    }
  }
}

