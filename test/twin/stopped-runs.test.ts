/**
 * Runs whose execution stops without a task ending them, on the twin (the synthesized stack: the status-change
 * rule, the EndStoppedRun bundle, moto DynamoDB/S3, the AgentCore and Bedrock emulators): an execution stopped
 * with StopExecution (the twin's Step Functions API, as the console's Stop) while a turn's cell runs, one that
 * reaches a timeout between steps (TIMED_OUT), and one that FAILED through RecordFailure (already ended: left
 * as it is). Checked host-side: the run item in moto, result.json in S3, the AgentCore emulator's sessions.
 */
import * as path from 'node:path';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { sessionNameFor } from '../../lambdas/adapters/agentcore/agentcore-sandbox';
import { RUN_ARTIFACT_FILES, runArtifactObjectKey } from '../../lambdas/core/bucket-layout';
import { twinEmulators, type StartedEmulators } from '../../twin/emulators';
import { DEMO_QUESTION, matrixContext, type MatrixContext } from '../../twin/fault-matrix/observe';
import { FaultSwitchboard } from '../../twin/faults';
import { REPO_ROOT } from '../../twin/synth';
import { Twin } from '../../twin/twin';
import { TWIN_START_TIMEOUT_MS, TWIN_TEST_TIMEOUT_MS } from './twin-harness';

const DEMO = path.join(REPO_ROOT, 'examples', 'demo');
jest.setTimeout(TWIN_TEST_TIMEOUT_MS);

let twin: Twin;
let faults: FaultSwitchboard;
let started: StartedEmulators;
let ctx: MatrixContext;
let sfn: SFNClient;

beforeAll(async () => {
  faults = new FaultSwitchboard();
  started = {};
  twin = await Twin.start({ faults, retryDelayOverrideMs: 0, emulators: twinEmulators({ script: path.join(DEMO, 'script.json'), faults }, started) });
  ctx = await matrixContext(twin, faults, started, DEMO);
  const env = twin.clientEnv();
  sfn = new SFNClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_SFN, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } });
}, TWIN_START_TIMEOUT_MS);
afterAll(async () => {
  sfn?.destroy();
  ctx?.s3.destroy();
  ctx?.ddb.destroy();
  await twin?.close();
});
afterEach(() => faults.reset());

async function until(what: string, ok: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function start(name: string): Promise<string> {
  const input = JSON.stringify({ question: DEMO_QUESTION, documents: [`s3://${ctx.bucket}/documents/demo/`] });
  return (await sfn.send(new StartExecutionCommand({ stateMachineArn: ctx.stateMachineArn, name, input }))).executionArn!;
}

/** Wait for the execution to stop, its status-change deliveries to end and every task invocation to return. */
async function settled(executionArn: string) {
  await twin.sfn.describe(executionArn).done;
  const deliveries = twin.deliveries.filter((d) => d.event.detail.executionArn === executionArn);
  await Promise.all(deliveries.map((d) => d.done));
  await until('no task invocation runs', () => [...twin.functions.values()].every((f) => f.inFlight === 0));
  return deliveries;
}

async function runItem(runId: string) {
  const item = (await ctx.ddb.send(new GetItemCommand({ TableName: ctx.table, Key: { pk: { S: `RUN#${runId}` }, sk: { S: 'RUN' } } }))).Item;
  return { status: item?.status?.S, stopReason: item?.stopReason?.S, stopDetail: item?.stopDetail?.S, iterations: Number(item?.iterations?.N), updatedAt: item?.updatedAt?.S, error: item?.error?.M?.name?.S };
}

async function resultJson(runId: string) {
  const body = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: runArtifactObjectKey(runId, RUN_ARTIFACT_FILES.result) }));
  return JSON.parse(await body.Body!.transformToString()) as { status: string; stopReason: string; stopDetail?: string; iterations: number; error?: { name: string } };
}

function sessionsOf(runId: string) {
  return [...started.agentCore!.sessions.values()].filter((s) => s.name === sessionNameFor(runId)).map((s) => s.status);
}

test('StopExecution while the 4th turn\'s cell waits for its sub-calls: the run is cancelled with its 3 turns, result.json written, no session left running', async () => {
  const runId = 'stopped-mid-cell';
  // The demo's 4th turn runs the cell that makes the run's 3 sub-calls: hold them, so the cell is running when the stop comes.
  faults.arm({ point: 'bedrock.converse.sub', kind: 'delay', delayMs: 5000, times: 3 });
  const arn = await start(runId);
  await until('the 4th turn\'s cell makes its sub-calls', () => faults.fired().some((f) => f.point === 'bedrock.converse.sub'));
  expect(sessionsOf(runId)).toEqual(['READY']);
  await sfn.send(new StopExecutionCommand({ executionArn: arn, error: 'UserStopped', cause: 'stopped by the test while a cell ran' }));
  const deliveries = await settled(arn);

  expect((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('ABORTED');
  expect(deliveries.map((d) => [d.functionName.includes('EndStoppedRun'), d.attempts, d.error, (d.result as { action?: string })?.action]))
    .toEqual([[true, 1, undefined, 'ended']]);
  const run = await runItem(runId);
  expect(run).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', iterations: 3 });
  expect(run.stopDetail).toMatch(/ABORTED.*UserStopped: stopped by the test while a cell ran/);
  const result = await resultJson(runId);
  expect(result).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', iterations: 3 });
  expect(result.stopDetail).toBe(run.stopDetail);
  // The session was stopped under the running cell; the invocation the stop left running started no other one.
  expect(sessionsOf(runId)).toEqual(['TERMINATED']);
  const turns = ((await ctx.ddb.send(new QueryCommand({ TableName: ctx.table, KeyConditionExpression: 'pk = :p AND begins_with(sk, :t)', ExpressionAttributeValues: { ':p': { S: `RUN#${runId}` }, ':t': { S: 'TURN#' } } }))).Items ?? [])
    .map((it) => it.sk!.S);
  // Turns 1-3 are kept; the 4th, if present, was recorded after the run ended by the invocation the stop left
  // running (its cell reported the session lost): it is in neither the run item nor result.json (docs/reliability.md).
  expect(turns.slice(0, 3)).toEqual(['TURN#00001', 'TURN#00002', 'TURN#00003']);
  expect(turns.length).toBeLessThanOrEqual(4);

  // At-least-once delivery: the same event again leaves the ended run as it is.
  const again = twin.deliver(deliveries[0].event);
  await Promise.all(again.map((d) => d.done));
  expect(again.map((d) => (d.result as { action?: string })?.action)).toEqual(['already-ended']);
  expect(await runItem(runId)).toEqual(run);
});

test('an execution that times out between steps (TIMED_OUT) leaves its run failed with ExecutionTimedOutError and its turns, the session stopped', async () => {
  const runId = 'timed-out-run';
  faults.arm({ point: 'sfn.between-steps', kind: 'timeout', where: 'RootTurn', afterHits: 2 });
  const arn = await start(runId);
  const deliveries = await settled(arn);
  expect(twin.sfn.describe(arn).status).toBe('TIMED_OUT');
  expect(deliveries.map((d) => (d.result as { action?: string })?.action)).toEqual(['ended']);
  const run = await runItem(runId);
  expect(run).toMatchObject({ status: 'failed', stopReason: 'error', error: 'ExecutionTimedOutError', iterations: 2 });
  const result = await resultJson(runId);
  expect(result).toMatchObject({ status: 'failed', iterations: 2, error: { name: 'ExecutionTimedOutError' } });
  expect(sessionsOf(runId)).toEqual(['TERMINATED']);
});

test('a FAILED execution that went through RecordFailure: its run already failed, the event leaves it as it is', async () => {
  const runId = 'failed-recorded-run';
  faults.arm({ point: 'bedrock.converse.root', kind: 'throttle', times: Infinity, afterHits: 1 });
  const arn = await start(runId);
  const before = await (async () => { await twin.sfn.describe(arn).done; return runItem(runId); })();
  const deliveries = await settled(arn);
  expect(twin.sfn.describe(arn)).toMatchObject({ status: 'FAILED', error: 'ModelThrottledError' });
  expect(deliveries.map((d) => (d.result as { action?: string })?.action)).toEqual(['already-ended']);
  expect(before).toMatchObject({ status: 'failed', error: 'ModelThrottledError', iterations: 1 });
  expect(await runItem(runId)).toEqual(before);
  expect((await resultJson(runId)).error?.name).toBe('ModelThrottledError');
  expect(sessionsOf(runId)).toEqual(['TERMINATED']);
});
