/**
 * A whole run on the twin through the deployed code path: a multi-megabyte document in the twin's S3,
 * the run machine from the template, StartRun/RootTurn/FinalizeRun bundles in Lambda emulation, the
 * root model on the Bedrock emulator, the sandbox a CPython kernel in the AgentCore emulator that loads
 * the document from S3 with boto3 and makes its sub-calls to Bedrock with boto3.
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
      code: 'answer = found[0].split(" ", 1)[1] + f" (from {len(chunks)} chunks, {len(context)} chars)"\nFINAL_VAR("answer")',
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
    JSON.stringify({ question: 'What is the secret code?', documents: [`s3://${h.bucket}/documents/big/records.txt`] }), 'big-doc-run');
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
  // One sandbox session for the run, stopped by FinalizeRun.
  expect([...started.agentCore!.sessions.values()].map((s) => s.status)).toEqual(['TERMINATED']);
});
