/**
 * DynamoConversationStore against real dynalite on loopback with the real @aws-sdk/client-dynamodb.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { RunNotFoundError, RunStateConflictError, TurnAlreadyRecordedError } from '../../lambdas/core/errors';
import type { RunRecord, RunTotals, TurnRecord } from '../../lambdas/core/types';
import {
  ConversationItemTooLargeError,
  ConversationStoreThrottledError,
  CONVERSATION_TABLE_SCHEMA,
  DynamoConversationStore,
} from '../../lambdas/adapters/dynamodb';
import {
  createConversationTable,
  startDynalite,
  type EmbeddedDynalite,
} from '../../lambdas/adapters/dynamodb/embedded-dynalite';

const TABLE = 'rlm-conversations-test';
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

let dyn: EmbeddedDynalite;
let store: DynamoConversationStore;
let runSeq = 0;

beforeAll(async () => {
  dyn = await startDynalite();
  await createConversationTable(dyn.client, TABLE);
  store = new DynamoConversationStore({ client: dyn.client, tableName: TABLE, ttlDays: 7, now: () => NOW });
});

afterAll(async () => {
  await dyn?.close();
});

function zeroTotals(): RunTotals {
  return {
    rootInputTokens: 0,
    rootOutputTokens: 0,
    rootCacheReadTokens: 0,
    rootCacheWriteTokens: 0,
    subInputTokens: 0,
    subOutputTokens: 0,
    subCalls: 0,
    subCallErrors: 0,
    cellSeconds: 0,
    costUsd: 0,
    consecutiveErrors: 0,
  };
}

function newRun(overrides: Partial<RunRecord> = {}): RunRecord {
  runSeq += 1;
  return {
    runId: `run-${runSeq}-${Math.random().toString(36).slice(2, 8)}`,
    status: 'running',
    question: 'Which service had the most incidents?',
    documents: [{ name: 'logs/app.log', uri: 'file:///tmp/docs/logs/app.log', chars: 12345 }],
    config: {
      rootModelId: 'anthropic.claude-sonnet',
      subModelId: 'anthropic.claude-haiku',
      maxIterations: 20,
      maxOutputChars: 20000,
      cellTimeoutMs: 60000,
      subConcurrency: 4,
      rootMaxOutputTokens: 16000,
      maxConsecutiveErrors: 8,
    },
    iterations: 0,
    totals: zeroTotals(),
    createdAt: '2025-01-15T12:00:00.000Z',
    updatedAt: '2025-01-15T12:00:00.000Z',
    contextPreview: '',
    tags: { batch: 'b1' },
    ...overrides,
  };
}

function turn(runId: string, index: number, fullOutput = `output of turn ${index}`): TurnRecord {
  return {
    runId,
    index,
    kind: 'code',
    startedAt: '2025-01-15T12:00:01.000Z',
    endedAt: '2025-01-15T12:00:02.000Z',
    replyText: `Let me look at part ${index}.`,
    cells: [
      {
        toolUseId: `tool-${index}`,
        code: 'print(len(context))',
        modelOutput: fullOutput.slice(0, 100),
        fullOutput,
        result: {
          timedOut: false,
          raised: false,
          durationMs: 12,
          sub: { calls: 0, errors: 0, inputTokens: 0, outputTokens: 0, records: [] },
        },
      },
    ],
    rootUsage: { inputTokens: 1000, outputTokens: 50 },
    rootModelId: 'anthropic.claude-sonnet',
    rootLatencyMs: 900,
  };
}

describe('DynamoConversationStore on dynalite', () => {
  it('creates and reads back a run, with the TTL attribute set', async () => {
    const run = newRun();
    await store.createRun(run);
    const got = await store.getRun(run.runId);
    expect(got).toEqual({ ...run, expiresAt: Math.floor(NOW / 1000) + 7 * 86400 });

    const raw = await dyn.client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `RUN#${run.runId}` }, sk: { S: 'RUN' } } }),
    );
    expect(raw.Item?.[CONVERSATION_TABLE_SCHEMA.ttlAttribute]).toEqual({ N: String(Math.floor(NOW / 1000) + 604800) });
    expect(raw.Item?.status).toEqual({ S: 'running' });
  });

  it('refuses a duplicate createRun and keeps the first run', async () => {
    const run = newRun();
    await store.createRun(run);
    await expect(store.createRun({ ...run, question: 'other' })).rejects.toThrow(RunStateConflictError);
    expect((await store.getRun(run.runId)).question).toBe(run.question);
  });

  it('getRun of an unknown run throws RunNotFoundError', async () => {
    await expect(store.getRun('nope')).rejects.toThrow(RunNotFoundError);
    await expect(store.setSandboxSession('nope', 's-1')).rejects.toThrow(RunNotFoundError);
    await expect(store.advanceRun('nope', 0, { iterations: 1, totals: zeroTotals(), updatedAt: 'x' })).rejects.toThrow(
      RunNotFoundError,
    );
  });

  it('sets the sandbox session', async () => {
    const run = newRun();
    await store.createRun(run);
    await store.setSandboxSession(run.runId, 'pyodide-1');
    await store.setSandboxSession(run.runId, 'pyodide-2');
    expect((await store.getRun(run.runId)).sandboxSessionId).toBe('pyodide-2');
  });

  it('records a new session only on a running run: an ended run keeps the one it had (a late turn of a stopped execution)', async () => {
    const run = newRun();
    await store.createRun(run);
    await store.setSandboxSession(run.runId, 'agentcore-1');
    await store.finishRun(run.runId, { status: 'cancelled', stopReason: 'cancelled', updatedAt: 'z' });
    const err = await store.setSandboxSession(run.runId, 'agentcore-late').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunStateConflictError);
    expect(String(err)).toContain('it is cancelled (the run has ended)');
    expect((await store.getRun(run.runId)).sandboxSessionId).toBe('agentcore-1');
  });

  it('writes a turn once: the second putTurn throws TurnAlreadyRecordedError and the first body stays', async () => {
    const run = newRun();
    await store.createRun(run);
    const first = turn(run.runId, 1, 'first attempt');
    await store.putTurn(first);
    const err = await store.putTurn(turn(run.runId, 1, 'second attempt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TurnAlreadyRecordedError);
    expect((err as Error).name).toBe('TurnAlreadyRecordedError');
    expect(await store.listTurns(run.runId)).toEqual([first]);

    const raw = await dyn.client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `RUN#${run.runId}` }, sk: { S: 'TURN#00001' } } }),
    );
    expect(raw.Item?.expiresAt?.N).toBe(String(Math.floor(NOW / 1000) + 604800));
  });

  it('advances only from the expected iteration', async () => {
    const run = newRun();
    await store.createRun(run);
    const totals = { ...zeroTotals(), rootInputTokens: 1000, costUsd: 0.01 };
    await store.advanceRun(run.runId, 0, { iterations: 1, totals, updatedAt: '2025-01-15T12:00:03.000Z' });
    const got = await store.getRun(run.runId);
    expect(got.iterations).toBe(1);
    expect(got.totals).toEqual(totals);
    expect(got.updatedAt).toBe('2025-01-15T12:00:03.000Z');

    const stale = store.advanceRun(run.runId, 0, { iterations: 1, totals, updatedAt: 'later' });
    await expect(stale).rejects.toThrow(RunStateConflictError);
    await expect(stale).rejects.toThrow(/from iteration 0 .*running at iteration 1/);
    expect((await store.getRun(run.runId)).updatedAt).toBe('2025-01-15T12:00:03.000Z');
  });

  it('finishes a run once; a second finish or a later advance conflicts', async () => {
    const run = newRun();
    await store.createRun(run);
    await store.finishRun(run.runId, {
      status: 'succeeded',
      answer: 'payments',
      stopReason: 'final',
      updatedAt: '2025-01-15T12:01:00.000Z',
    });
    const got = await store.getRun(run.runId);
    expect(got).toMatchObject({ status: 'succeeded', answer: 'payments', stopReason: 'final' });

    await expect(
      store.finishRun(run.runId, {
        status: 'failed',
        stopReason: 'error',
        error: { name: 'X', message: 'y' },
        updatedAt: 'later',
      }),
    ).rejects.toThrow(/already ended as succeeded \(final\)/);
    await expect(store.advanceRun(run.runId, 0, { iterations: 1, totals: zeroTotals(), updatedAt: 'x' })).rejects.toThrow(
      RunStateConflictError,
    );
    expect((await store.getRun(run.runId)).status).toBe('succeeded');
  });

  it('round-trips a ~1 MB turn through gzip, and a long answer on the run item', async () => {
    const run = newRun();
    await store.createRun(run);
    const lines: string[] = [];
    for (let i = 0, length = 0; length < 1_000_000; i++) {
      const line = `2025-01-15T12:${String(i % 60).padStart(2, '0')}:00Z service=svc-${i % 17} request ${i} ok — ✓ 🚀`;
      lines.push(line);
      length += line.length + 1;
    }
    const big = turn(run.runId, 1, lines.join('\n'));
    expect(JSON.stringify(big).length).toBeGreaterThan(1_000_000);
    await store.putTurn(big);
    const raw = await dyn.client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `RUN#${run.runId}` }, sk: { S: 'TURN#00001' } } }),
    );
    expect(raw.Item?.body?.B).toBeDefined();
    expect(await store.listTurns(run.runId)).toEqual([big]);

    const answer = 'The answer is long. '.repeat(30_000); // 600 KB
    await store.finishRun(run.runId, { status: 'succeeded', answer, stopReason: 'final', updatedAt: 'z' });
    expect((await store.getRun(run.runId)).answer).toBe(answer);
  });

  it('refuses, by name, a turn that is too large even gzipped', async () => {
    const run = newRun();
    await store.createRun(run);
    const noise = randomBytes(900_000).toString('base64'); // ~1.2 MB that gzip cannot shrink below 390 KB
    await expect(store.putTurn(turn(run.runId, 1, noise))).rejects.toThrow(ConversationItemTooLargeError);
    expect(await store.listTurns(run.runId)).toEqual([]);
  });

  it('lists >150 turns in index order across Query pages', async () => {
    const paged = new DynamoConversationStore({ client: dyn.client, tableName: TABLE, queryPageSize: 40 });
    const run = newRun();
    await paged.createRun(run);
    const order = Array.from({ length: 160 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    for (let i = 0; i < order.length; i += 20) {
      await Promise.all(order.slice(i, i + 20).map((n) => paged.putTurn(turn(run.runId, n))));
    }
    const send = jest.spyOn(dyn.client, 'send');
    const turns = await paged.listTurns(run.runId);
    const queries = send.mock.calls.filter(([cmd]) => cmd instanceof QueryCommand).length;
    send.mockRestore();
    expect(queries).toBeGreaterThanOrEqual(4);
    expect(turns.map((t) => t.index)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
    expect((await paged.getRun(run.runId)).expiresAt).toBeUndefined();
  });

  it('maps throttling to ConversationStoreThrottledError with the SDK error as cause', async () => {
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const send = jest.spyOn(dyn.client, 'send').mockImplementation(() => Promise.reject(throttle));
    try {
      const err = await store.getRun('any').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConversationStoreThrottledError);
      expect((err as Error).cause).toBe(throttle);
    } finally {
      send.mockRestore();
    }
  });
});
