/**
 * The batch machine on the twin: its synthesized definition runs in aws-local-stepfunctions with the
 * three batch bundles; its Distributed Map is driven by the twin per its ItemReader contract (items.json
 * from S3), each item a child execution of the run machine (startExecution.sync:2) and a record written
 * by the s3:putObject integration; SummarizeBatch then writes results and summary and moves the manifest.
 */
import { ONE_TURN_SCRIPT, startTwinHarness, TWIN_START_TIMEOUT_MS, type TwinHarness } from './twin-harness';

let h: TwinHarness;
beforeAll(async () => { h = await startTwinHarness({ script: ONE_TURN_SCRIPT }); }, TWIN_START_TIMEOUT_MS);
afterAll(async () => { await h?.close(); });

test('a batch manifest runs through the batch functions: one child run per valid line, results, summary, manifest moved', async () => {
  await h.put('documents/batch/doc.txt', 'alpha beta gamma\n');
  const lines = [
    { id: 'q-1', question: 'First question?', documents: ['documents/batch/doc.txt'] },
    { id: 'q-2', question: 'Second question?', documents: ['documents/batch/'], options: { maxIterations: 3 } },
    { id: 'q-3', documents: ['documents/batch/doc.txt'] },
  ];
  await h.put('batches/pending/nightly.jsonl', `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const batch = h.twin.sfn.startExecution(h.twin.outputs().BatchStateMachineArn, '{}', 'batch-1');
  await batch.done;
  expect({ status: batch.status, error: batch.error, cause: batch.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
  expect(batch.states).toEqual(expect.arrayContaining(['CheckNoOtherBatch', 'ListPending', 'PrepareBatch', 'RunItems', 'SummarizeBatch']));

  // Two valid items became child executions of the run machine, started by the batch execution.
  const children = [...h.twin.sfn.executions.values()].filter((e) => e.stateMachineArn === h.twin.outputs().StateMachineArn);
  expect(children).toHaveLength(2);
  for (const c of children) expect(JSON.parse(c.input).AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID).toMatch(/:mapRun:|:execution:/);

  expect(await h.keys('batches/pending/')).toEqual([]);
  const processed = await h.keys('batches/processed/');
  expect(processed).toHaveLength(1);
  const batchId = processed[0].replace(/^batches\/processed\//, '').replace(/\.jsonl$/, '');
  const results = ((await h.get(`batches/results/${batchId}/results.jsonl`)) ?? '').trim().split('\n').map((l) => JSON.parse(l));
  expect(results.map((r) => r.id).sort()).toEqual(['q-1', 'q-2', 'q-3']);
  const summary = JSON.parse((await h.get(`batches/results/${batchId}/summary.json`)) ?? 'null');
  expect(summary).toEqual(expect.objectContaining({ batchId, items: 3 }));
  expect(summary.succeeded + summary.failed).toBe(3);
  // The invalid line is reported as failed without a run; the valid ones as their runs ended.
  expect(summary.failures).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'q-3', error: expect.stringMatching(/question/) })]));
  expect(children.map((c) => c.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expect(summary).toEqual(expect.objectContaining({ succeeded: 2, failed: 1, answered: 2 }));
  expect((await h.keys(`batches/work/${batchId}/items/`)).length).toBe(2);

  // A second batch execution finds nothing pending.
  const again = h.twin.sfn.startExecution(h.twin.outputs().BatchStateMachineArn, '{}', 'batch-2');
  await again.done;
  expect(again.status).toBe('SUCCEEDED');
  expect(again.states).not.toContain('PrepareBatch');
});
