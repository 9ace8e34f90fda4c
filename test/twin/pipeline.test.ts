/**
 * The deployed pipeline on the twin (one twin for the file, one-turn scripted runs):
 * - triggers: an object uploaded under jobs/ becomes an S3 "Object Created" event, matched by the
 *   template's own EventBridge rule, delivered to the trigger's cdk.out bundle in Lambda emulation, which
 *   starts executions through the SFN endpoint; a Lambda timeout surfaces as Step Functions reports it;
 * - the batch machine: its synthesized definition with the three batch bundles, its Distributed Map
 *   driven per its ItemReader contract, each item a child execution (startExecution.sync:2) and a record
 *   written by the s3:putObject integration;
 * - `rlm submit / status / result`: the CLI's own code, reaching the twin only through the standard
 *   endpoint variables (DescribeStacks on moto's CloudFormation gives the twin's outputs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { remoteCommand } from '../../bin/commands/remote';
import { ONE_TURN_SCRIPT, startTwinHarness, TWIN_START_TIMEOUT_MS, TWIN_TEST_TIMEOUT_MS, type TwinHarness } from './twin-harness';

jest.setTimeout(TWIN_TEST_TIMEOUT_MS);

let h: TwinHarness;
beforeAll(async () => { h = await startTwinHarness({ script: ONE_TURN_SCRIPT }); }, TWIN_START_TIMEOUT_MS);
afterAll(async () => { await h?.close(); });
afterEach(() => h.faults.reset());

describe('job manifests and the trigger', () => {
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

  test('a Lambda that runs past its timeout is killed and reported as Lambda.Unknown, with the real cause text', async () => {
    h.faults.arm({ point: 'lambda.StartRun', kind: 'timeout', delayMs: 300 });
    const startRun = h.twin.fn('StartRun');
    const live = startRun.liveContainers;
    const err = await startRun.invoke({ request: { question: 'q?', documents: [] }, runId: 'direct-timeout' }).then(() => undefined, (e: Error) => e);
    expect(err?.name).toBe('Lambda.Unknown');
    expect(err?.message).toMatch(/^The cause could not be determined because Lambda did not return an error type\. Returned payload: \{"errorMessage":"\S+ [0-9a-f-]{36} Task timed out after 0\.\d\d seconds"\}$/);
    expect(startRun.timeouts).toBe(1);
    expect(startRun.liveContainers).toBe(Math.max(0, live - 1));
  });

  test('a StartRun timeout inside an execution ends as the definition decides: caught and recorded, or retried', async () => {
    h.faults.arm({ point: 'lambda.StartRun', kind: 'timeout', delayMs: 300 });
    const e = h.twin.sfn.startExecution(runMachine(), JSON.stringify({ question: 'q?', documents: [`s3://${h.bucket}/documents/review/notes.txt`] }), 'timeout-run');
    await e.done;
    const result = JSON.parse((await h.get('results/timeout-run/result.json')) ?? 'null');
    if (e.status === 'FAILED') {
      // main at e1b1e09: Lambda.Unknown is in no Retry, the Catch records it.
      expect(e.states).toEqual(['StartRun', 'RecordFailure']);
      expect(JSON.stringify(result)).toMatch(/Lambda\.Unknown.*Task timed out after 0\.\d\d seconds/);
    } else {
      // With Lambda.Unknown retried, the second StartRun succeeds and the run answers.
      expect(e.states.slice(0, 2)).toEqual(['StartRun', 'StartRun']);
      expect(result.answer).toMatch(/^\d+ chars$/);
    }
  });
});

describe('the batch machine', () => {

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
    const children = [...h.twin.sfn.executions.values()].filter((e) => JSON.parse(e.input).AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID);
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
});


async function cli(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await h.withClientEnv(() => remoteCommand(name, args, {
    stdout: (s) => { stdout += `${s}\n`; }, stderr: (s) => { stderr += `${s}\n`; },
  }));
  return { code, stdout, stderr };
}

describe('rlm submit / status / result', () => {
  test('submit uploads the documents and starts the execution; status and result read it back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-twin-cli-'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'the answer is 42\n');
    const stack = h.twin.template.stackName;
    const submitted = await cli('submit', ['--stack', stack, '--question', 'What is the answer?', '--document', dir,
      '--run-id', 'cli-run-1', '--wait', '--poll', '0.2', '--output', 'json', '--quiet']);
    const prefix = `documents/cli-run-1/${path.basename(dir)}/`;
    expect(await h.keys('documents/cli-run-1/')).toEqual([`${prefix}notes.txt`]);
    expect(await h.get(`${prefix}notes.txt`)).toBe('the answer is 42\n');
    const execution = h.twin.sfn.describe(`${h.twin.outputs().StateMachineArn.replace(':stateMachine:', ':execution:')}:cli-run-1`);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.input)).toEqual(expect.objectContaining({
      question: 'What is the answer?', documents: [`s3://${h.bucket}/${prefix}`],
    }));
    const out = JSON.parse(submitted.stdout.trim().split('\n').pop() as string);
    expect(out.runId).toBe('cli-run-1');
    expect(submitted.code).toBe(0);

    const status = await cli('status', ['cli-run-1', '--stack', stack, '--output', 'json']);
    expect(status.code).toBe(0);
    expect(JSON.stringify(JSON.parse(status.stdout))).toContain(execution.status);

    const result = await cli('result', ['cli-run-1', '--stack', stack, '--output', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(expect.objectContaining({ runId: 'cli-run-1', answer: '17 chars' }));
  });

  test('an unknown run is exit 1 for status; a wrong stack name is a ConfigError naming it', async () => {
    const status = await cli('status', ['no-such-run', '--stack', h.twin.template.stackName]);
    expect(status.code).toBe(1);
    await expect(cli('status', ['x', '--stack', 'NoSuchStack'])).rejects.toThrow(/NoSuchStack/);
  });
});
