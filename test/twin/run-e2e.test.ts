/**
 * A whole run on the twin through the deployed code path: a multi-megabyte document in the twin's S3,
 * the run machine from the template, StartRun/RootTurn/FinalizeRun bundles in Lambda emulation, the
 * root model on the Bedrock emulator, the sandbox a CPython kernel in the AgentCore emulator that loads
 * the document from S3 with boto3 and makes its sub-calls to Bedrock with boto3. Then the same run under
 * faults from the switchboard: what must hold whatever the retries do (docs/twin.md records the rest).
 */
import type { Script } from '../../lambdas/adapters/models/scripted-model';
import type { StartedEmulators } from '../../twin/emulators';
import { startTwinHarness, TWIN_START_TIMEOUT_MS, TWIN_TEST_TIMEOUT_MS, type TwinHarness } from './twin-harness';

jest.setTimeout(TWIN_TEST_TIMEOUT_MS);

const CHUNK = 400_000;
const SCRIPT: Script = {
  root: [
    {
      text: 'Split the document and ask a sub-model about each chunk.',
      code: [
        `chunks = [context[i:i + ${CHUNK}] for i in range(0, len(context), ${CHUNK})]`,
        'print(len(context), "chars in", len(chunks), "chunks")',
        'replies = llm_query_batched(["Report the secret code in this text, or none.\\n" + c for c in chunks])',
        'found = [r for r in replies if r.startswith("CODE ")]',
        'print(found)',
      ].join('\n'),
    },
    {
      text: 'Answer with the code found.',
      code: 'answer = (found[0].split(" ", 1)[1] if found else "no code") + f" (from {len(chunks)} chunks, {len(context)} chars)"\nFINAL_VAR("answer")',
    },
  ],
  sub: { rules: [{ match: 'the secret code is (\\S+)', reply: 'CODE $1' }], default: 'none' },
} as Script;

function bigDocument(): string {
  const lines: string[] = [];
  for (let i = 0; i < 60_000; i++) lines.push(`record ${String(i).padStart(6, '0')}: service=svc-${i % 17} latency_ms=${(i * 37) % 1000} status=ok`);
  lines.splice(51_234, 0, 'note: the secret code is ZEBRA-4471 and nothing else');
  return `${lines.join('\n')}\n`;
}

const started: StartedEmulators = {};
let h: TwinHarness;
beforeAll(async () => { h = await startTwinHarness({ script: SCRIPT, started }); }, TWIN_START_TIMEOUT_MS);
afterAll(async () => { await h?.close(); });

test('a multi-megabyte document in S3 reaches FINAL_VAR with sub-calls made by boto3 inside the sandbox', async () => {
  const doc = bigDocument();
  expect(doc.length).toBeGreaterThan(3_000_000);
  await h.put('documents/big/records.txt', doc);
  const e = h.twin.sfn.startExecution(h.twin.outputs().StateMachineArn,
    JSON.stringify({ question: 'What is the secret code?', documents: [`s3://${h.bucket}/documents/big/records.txt`], options: { maxIterations: 4 } }), 'big-doc-run');
  await e.done;
  expect({ status: e.status, error: e.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
  expect(e.states).toEqual(['StartRun', 'RootTurn', 'RootTurn', 'FinalizeRun']);

  const result = JSON.parse((await h.get('results/big-doc-run/result.json')) ?? 'null');
  const chunks = Math.ceil(doc.length / CHUNK);
  expect(result.answer).toBe(`ZEBRA-4471 (from ${chunks} chunks, ${doc.length} chars)`);
  expect(JSON.stringify(result)).toContain('FINAL_VAR');

  const calls = started.bedrock!.calls;
  const subs = calls.filter((c) => c.role === 'sub');
  expect(subs).toHaveLength(chunks);
  for (const c of subs) expect(c.userAgent).toMatch(/Boto3\/|Botocore\//);
  const roots = calls.filter((c) => c.role === 'root');
  expect(roots).toHaveLength(2);
  for (const c of roots) expect(c.userAgent).toMatch(/aws-sdk-js/);
  // One sandbox session for the run, stopped by FinalizeRun; it was started to live for this run's own budget,
  // StartRun + 4 RootTurns + FinalizeRun at 900 s each, not the deployment's default (30 turns: the 8-hour cap).
  expect([...started.agentCore!.sessions.values()].map((s) => [s.status, s.sessionTimeoutSeconds])).toEqual([['TERMINATED', 6 * 900]]);
});

describe('under faults (two turns, one sub-call each run)', () => {
  const run = async (name: string) => {
    const e = h.twin.sfn.startExecution(h.twin.outputs().StateMachineArn,
      JSON.stringify({ question: 'What is the secret code?', documents: [`s3://${h.bucket}/documents/small/notes.txt`] }), name);
    await e.done;
    const result = JSON.parse((await h.get(`results/${name}/result.json`)) ?? 'null');
    return { e, result };
  };
  beforeAll(async () => { await h.put('documents/small/notes.txt', 'memo: the secret code is OTTER-12\n'); });
  afterEach(() => h.faults.reset());

  test.each([
    ['root Converse throttled once', { point: 'bedrock.converse.root', kind: 'throttle' }],
    ['sub-call Converse 500 once', { point: 'bedrock.converse.sub', kind: 'server-error' }],
    ['DynamoDB PutItem throttled once', { point: 'dynamodb.PutItem', kind: 'throttle' }],
    ['DynamoDB UpdateItem connection dropped once', { point: 'dynamodb.UpdateItem', kind: 'drop-connection' }],
    ['S3 PutObject 500 once', { point: 's3.PutObject', kind: 'server-error' }],
    ['Lambda service error between steps (before RootTurn)', { point: 'sfn.between-steps', kind: 'server-error', where: 'RootTurn' }],
  ] as const)('%s: retried, and the run still answers', async (_label, fault) => {
    const name = `fault-${h.faults.fired().length}-${Date.now()}`;
    h.faults.arm(fault as never);
    const { e, result } = await run(name);
    expect(h.faults.fired()).toHaveLength(1);
    expect({ status: e.status, error: e.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    expect(result.answer).toBe('OTTER-12 (from 1 chunks, 34 chars)');
  });

  test('a RootTurn past its timeout ends the run (no hang), as the Step Functions definition decides', async () => {
    h.faults.arm({ point: 'lambda.RootTurn', kind: 'timeout', delayMs: 1000 });
    const { e, result } = await run('fault-rootturn-timeout');
    expect(h.twin.fn('RootTurn').timeouts).toBe(1);
    // Today Lambda.Unknown is caught, not retried: the run fails with it and keeps its record.
    if (e.status === 'FAILED') expect(result).toEqual(expect.objectContaining({ status: 'failed' }));
    else expect(result.answer).toMatch(/^OTTER-12/);
    expect(JSON.stringify(result)).toMatch(e.status === 'FAILED' ? /Lambda\.Unknown/ : /OTTER-12/);
  });
});
