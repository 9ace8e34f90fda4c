/**
 * The batch state machine's Lambda steps over an in-memory bucket (aws-sdk-client-mock): list, prepare,
 * then what the Distributed Map writes per item, then summarize, as the deployed machine would run them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BatchStateError, batchKeys, itemRecordKey, type BatchResultLine, type BatchSummary, type MapItem, type PreparedBatch } from '../../lambdas/core/batch';
import type { RunSummary } from '../../lambdas/core/types';
import { S3ObjectStore } from '../../lambdas/adapters/s3/s3-object-store';
import { createListPendingHandler } from '../../lambdas/handlers/batch-list-pending';
import { createPrepareBatchHandler } from '../../lambdas/handlers/batch-prepare';
import { createSummarizeBatchHandler } from '../../lambdas/handlers/batch-summarize';
import { fakeS3, memoryLogger } from './batch-fakes';

const BUCKET = 'rlm-pipeline-bucket-example';
const sampleManifest = fs.readFileSync(path.join(__dirname, '..', '..', 'events', 'batch-manifest.jsonl'), 'utf8');

function setup(pageSize = 2) {
  const s3 = fakeS3(pageSize);
  const deps = { objects: new S3ObjectStore(s3.client, BUCKET), bucket: BUCKET, resultsPrefix: 'results/', logger: memoryLogger(), now: () => Date.parse('2025-06-03T02:00:05Z') };
  return {
    s3,
    list: createListPendingHandler(deps, 2),
    prepare: createPrepareBatchHandler(deps),
    summarize: createSummarizeBatchHandler(deps),
  };
}

const runSummary = (runId: string, over: Partial<RunSummary> = {}): RunSummary => ({
  runId, status: 'succeeded', answer: `answer of ${runId}`, stopReason: 'final', iterations: 3, costUsd: 0.002,
  usage: { rootInputTokens: 1000, rootOutputTokens: 100, rootCacheReadTokens: 0, rootCacheWriteTokens: 0, subInputTokens: 0, subOutputTokens: 0, subCalls: 0 },
  ...over,
});

describe('batch steps on S3', () => {
  it('lists pending manifests in key order (all pages), up to the per-execution cap', async () => {
    const { s3, list } = setup();
    for (const k of ['batches/pending/2025-06-02-b.jsonl', 'batches/pending/2025-06-01-a.jsonl', 'batches/pending/notes.txt', 'batches/pending/sub/x.jsonl']) s3.put(k, '');
    expect(await list({ processed: 0 })).toEqual({ processed: 0, pending: 2, next: 'batches/pending/2025-06-01-a.jsonl' });
    expect(await list({ processed: 2 })).toEqual({ processed: 2, pending: 2 });
    expect(await list({})).toMatchObject({ processed: 0, next: 'batches/pending/2025-06-01-a.jsonl' });
  });

  it('prepares, records map outcomes, summarises and moves the manifest', async () => {
    const { s3, list, prepare, summarize } = setup();
    s3.put('batches/pending/nightly.jsonl', sampleManifest + '{"id": "q-005", "question": "Q?", "documents": ["documents/a.txt"]}\n{"id": "q-006", "question": "Q?", "documents": ["documents/b.txt"]}\n');
    const listing = await list({ processed: 0 });
    const batch: PreparedBatch = await prepare({ manifestKey: listing.next });
    expect(batch).toMatchObject({ manifestKey: 'batches/pending/nightly.jsonl', items: 6, valid: 5, invalid: 1, startedAt: '2025-06-03T02:00:05.000Z' });
    expect(batch.batchId).toMatch(/^nightly-[0-9a-f]{10}$/);
    const keys = batchKeys(batch.batchId);
    expect(batch.itemsKey).toBe(keys.items);
    const items = JSON.parse(s3.text(keys.items)!) as MapItem[];
    expect(items.map((i) => i.id)).toEqual(['q-001', 'q-002', 'q-003', 'q-005', 'q-006']);
    expect(items[1]).toEqual({
      batchId: batch.batchId, index: 1, id: 'q-002', runId: `b-${batch.batchId}-1`,
      request: {
        question: 'What does the runbook say to do first when the payments API returns 503?', documents: [`s3://${BUCKET}/documents/runbook.md`],
        options: { maxIterations: 8 }, tags: { trigger: 'batch', batch: batch.batchId, item: 'q-002' },
      },
    });

    // What the Distributed Map writes: q-001 succeeded; q-002's run failed inside the run machine (result.json
    // written by RecordFailure); q-003 failed to start (caught error, no result); q-005 finished but its record
    // was lost; q-006 has nothing at all.
    const [a, b, c, e] = items;
    s3.put(itemRecordKey(batch.batchId, a.index), JSON.stringify({ output: { runId: a.runId, status: 'succeeded', resultUri: `s3://${BUCKET}/results/${a.runId}/result.json` }, startDate: 1_748_916_000_000, stopDate: 1_748_916_012_000 }));
    s3.put(`results/${a.runId}/result.json`, JSON.stringify({ ...runSummary(a.runId), question: a.request.question }));
    s3.put(itemRecordKey(batch.batchId, b.index), JSON.stringify({ Error: 'States.TaskFailed', Cause: JSON.stringify({ error: 'DocumentError', cause: 'cannot read' }) }));
    s3.put(`results/${b.runId}/result.json`, JSON.stringify(runSummary(b.runId, { status: 'failed', answer: null, stopReason: 'error', error: { name: 'DocumentError', message: 'cannot read s3://b/documents/runbook.md: NoSuchKey' } })));
    s3.put(itemRecordKey(batch.batchId, c.index), JSON.stringify({ Error: 'StepFunctions.ExecutionLimitExceededException', Cause: 'too many executions' }));
    s3.put(`results/${e.runId}/result.json`, JSON.stringify(runSummary(e.runId, { answer: null, stopReason: 'iteration_cap' })));

    const finished = await summarize({ batch });
    expect(finished).toEqual({
      batchId: batch.batchId, items: 6, succeeded: 2, failed: 4,
      resultsKey: keys.results, summaryKey: keys.summary, processedKey: keys.processed,
    });
    const lines = s3.text(keys.results)!.trim().split('\n').map((l) => JSON.parse(l) as BatchResultLine);
    expect(lines.map((l) => [l.id, l.status])).toEqual([
      ['q-001', 'succeeded'], ['q-002', 'failed'], ['q-003', 'failed'], ['q-004', 'failed'], ['q-005', 'succeeded'], ['q-006', 'failed'],
    ]);
    expect(lines[0]).toMatchObject({ answer: `answer of ${a.runId}`, latencyMs: 12_000, totalTokens: 1100, costUsd: 0.002 });
    expect(lines[1].error).toBe('DocumentError: cannot read s3://b/documents/runbook.md: NoSuchKey');
    expect(lines[2].error).toBe('StepFunctions.ExecutionLimitExceededException: too many executions');
    expect(lines[3]).toMatchObject({ error: '"question" must be a non-empty string', runId: null, latencyMs: null });
    expect(lines[4]).toMatchObject({ answer: null, stopReason: 'iteration_cap' });
    expect(lines[5].error).toMatch(/no record of this item/);

    const summary = JSON.parse(s3.text(keys.summary)!) as BatchSummary;
    expect(summary).toMatchObject({
      batchId: batch.batchId, manifest: `s3://${BUCKET}/batches/pending/nightly.jsonl`, items: 6, succeeded: 2, failed: 4, answered: 1,
      successRate: 0.3333, costUsd: 0.006, latencyMs: { p50: 12_000, p90: 12_000, p99: 12_000 },
      startedAt: '2025-06-03T02:00:05.000Z', results: `s3://${BUCKET}/${keys.results}`,
    });
    expect(summary.failures.map((f) => f.id)).toEqual(['q-002', 'q-003', 'q-004', 'q-006']);
    expect(s3.text('batches/pending/nightly.jsonl')).toBeUndefined();
    expect(s3.text(keys.processed)).toContain('"id": "q-001"');
    expect(await list({ processed: 1 })).toEqual({ processed: 1, pending: 0 });

    // Summarising again (a retried step) is harmless: same files, the manifest is already moved.
    await expect(summarize({ batch })).resolves.toMatchObject({ succeeded: 2, failed: 4 });
  });

  it('refuses a vanished manifest or a key outside batches/pending/; an empty manifest is an empty batch', async () => {
    const { s3, prepare } = setup();
    await expect(prepare({ manifestKey: 'batches/pending/gone.jsonl' })).rejects.toThrow(BatchStateError);
    await expect(prepare({ manifestKey: 'jobs/x.json' })).rejects.toThrow(/not a pending manifest key/);
    s3.put('batches/pending/empty.jsonl', '\n\n');
    expect(await prepare({ manifestKey: 'batches/pending/empty.jsonl' })).toMatchObject({ items: 0, valid: 0, invalid: 0 });
  });
});
