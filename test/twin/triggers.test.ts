/**
 * The deployed trigger path on the twin: an object uploaded under jobs/ becomes an S3 "Object Created"
 * event, matched by the template's own EventBridge rule, delivered to the trigger's cdk.out bundle in
 * its Lambda emulation, which starts executions through the SFN endpoint (standard endpoint variables).
 * Also: a Lambda timeout surfaces to the state machine as Step Functions reports it (Lambda.Unknown).
 */
import { ONE_TURN_SCRIPT, startTwinHarness, TWIN_START_TIMEOUT_MS, type TwinHarness } from './twin-harness';

let h: TwinHarness;
beforeAll(async () => { h = await startTwinHarness({ script: ONE_TURN_SCRIPT }); }, TWIN_START_TIMEOUT_MS);
afterAll(async () => { await h?.close(); });
afterEach(() => h.faults.reset());

const runMachine = () => h.twin.outputs().StateMachineArn;
const runExecutions = () => [...h.twin.sfn.executions.values()].filter((e) => e.stateMachineArn === runMachine());

test('a bad job manifest gets its .error.json, and starts nothing', async () => {
  const before = runExecutions().length;
  await h.put('jobs/broken.json', '{"questions": [');
  await h.twin.settle();
  const record = JSON.parse((await h.get('jobs/broken.error.json')) ?? 'null');
  expect(record).toEqual(expect.objectContaining({ manifest: `s3://${h.bucket}/jobs/broken.json` }));
  expect(JSON.stringify(record)).toMatch(/not valid JSON/);
  expect(runExecutions().length).toBe(before);
  // The rule matched the manifest and (jobs/*.json) the error record too; the trigger ignored the latter.
  const keys = h.twin.deliveries.map((d) => (d.result as { key?: string; action?: string } | undefined));
  expect(keys).toEqual(expect.arrayContaining([
    expect.objectContaining({ key: 'jobs/broken.json', action: 'rejected' }),
    expect.objectContaining({ key: 'jobs/broken.error.json', action: 'ignored' }),
  ]));
});

test('objects outside the rule pattern reach no Lambda', async () => {
  const before = h.twin.deliveries.length;
  await h.put('documents/not-a-trigger.txt', 'plain document');
  await h.put('jobs/nested/deeper.txt', 'not *.json');
  await h.twin.settle();
  expect(h.twin.deliveries.slice(before).map((d) => (d.event.detail.object as { key: string }).key)).toEqual([]);
});

test('a job manifest starts one run per question; the same event again starts nothing', async () => {
  await h.put('documents/review/notes.txt', 'service=payments incidents=3\nservice=search incidents=1\n');
  const before = runExecutions().length;
  await h.put('jobs/review.json', JSON.stringify({ questions: ['Which service had most incidents?', 'How many incidents in total?'], documents: ['documents/review/'] }));
  await h.twin.settle();
  const delivery = h.twin.deliveries.find((d) => (d.result as { key?: string } | undefined)?.key === 'jobs/review.json');
  expect(delivery?.result).toEqual(expect.objectContaining({ action: 'started' }));
  const started = runExecutions().slice(before);
  expect(started).toHaveLength(2);
  // Each execution ran the synthesized definition through the Lambda emulation.
  for (const e of started) expect({ status: e.status, states: e.states }).toEqual({ status: 'SUCCEEDED', states: ['StartRun', 'RootTurn', 'FinalizeRun'] });
  const answers = await Promise.all(started.map(async (e) => JSON.parse((await h.get(`results/${e.name}/result.json`)) ?? 'null')?.answer));
  for (const a of answers) expect(a).toMatch(/^\d+ chars$/);
  expect(new Set(started.map((e) => JSON.parse(e.input).question))).toEqual(new Set(['Which service had most incidents?', 'How many incidents in total?']));

  const [again] = h.twin.deliver(delivery!.event);
  await again.done;
  await h.twin.settle();
  expect(runExecutions().length).toBe(before + 2);
  expect((again.result as { runs: Array<{ outcome: string }> }).runs.map((r) => r.outcome)).toEqual(['already-started', 'already-started']);
});

test('a Lambda that runs past its timeout is killed and reported as Lambda.Unknown', async () => {
  h.faults.arm({ point: 'lambda.StartRun', kind: 'timeout', delayMs: 300 });
  const startRun = h.twin.fn('StartRun');
  const live = startRun.liveContainers;
  const e = h.twin.sfn.startExecution(runMachine(), JSON.stringify({ question: 'q?', documents: [`s3://${h.bucket}/documents/review/notes.txt`] }), 'timeout-run');
  await e.done;
  expect(e.status).toBe('FAILED');
  expect(e.states).toEqual(['StartRun', 'RecordFailure']);
  expect(startRun.timeouts).toBe(1);
  expect(startRun.liveContainers).toBe(Math.max(0, live - 1));
  const result = JSON.parse((await h.get('results/timeout-run/result.json')) ?? 'null');
  expect(JSON.stringify(result)).toContain('Lambda.Unknown');
  expect(JSON.stringify(result)).toMatch(/Lambda did not return an error type.*Task timed out after 0\.\d\d seconds/);
});
