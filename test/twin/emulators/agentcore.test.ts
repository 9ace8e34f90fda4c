/**
 * The twin's AgentCore Code Interpreter emulator, driven by the product's own `AgentCoreSandbox` (configured only by
 * AWS_ENDPOINT_URL_BEDROCK_AGENTCORE) and by the raw JS SDK: each session is a real CPython process whose boto3
 * loads the document from moto S3 and makes sub-calls to the twin's Bedrock emulator over HTTP.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as agentcoreSdk from '@aws-sdk/client-bedrock-agentcore';
import {
  BedrockAgentCoreClient, GetCodeInterpreterSessionCommand, InvokeCodeInterpreterCommand, ListCodeInterpreterSessionsCommand, StartCodeInterpreterSessionCommand, StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AgentCoreSandbox, sessionNameFor } from '../../../lambdas/adapters/agentcore';
import { SandboxError, SandboxSessionLostError, SandboxThrottledError } from '../../../lambdas/core/errors';
import type { SandboxSession, SandboxStartOptions } from '../../../lambdas/core/ports';
import { startAgentCoreEmulator, type AgentCoreEmulator } from '../../../twin/agentcore/emulator';
import { startBedrockEmulator, type BedrockEmulator } from '../../../twin/bedrock/emulator';
import { FaultSwitchboard } from '../../../twin/faults';
import { modelledErrors } from '../../../twin/http';
import { startMoto, type MotoServer } from './moto-server';

const SUB = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const creds = { accessKeyId: 'AKIDROLE', secretAccessKey: 'role-secret' };
const faults = new FaultSwitchboard();
const DOC = 'ERROR payments timeout\n'.repeat(50_000) + 'the end é\n'; // ~1.1 MB, one non-ASCII character
const saved = { ...process.env };
let moto: MotoServer;
let bedrock: BedrockEmulator;
let agentcore: AgentCoreEmulator;
let sandbox: AgentCoreSandbox;

const start = (runId: string): SandboxStartOptions => ({
  runId, documents: [{ name: 'log.txt', uri: 's3://twin-docs/in/log.txt', chars: 0 }], subModelId: SUB, subConcurrency: 4, maxCaptureChars: 100_000,
});
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

beforeAll(async () => {
  moto = await startMoto();
  bedrock = await startBedrockEmulator({ script: { sub: { rules: [{ match: '^Summarise (\\w+)', reply: '$1 failed on timeouts' }], default: 'no idea' } }, faults });
  agentcore = await startAgentCoreEmulator({
    faults,
    env: {
      AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: 'role-token',
      AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-west-2',
      AWS_ENDPOINT_URL_S3: moto.endpoint, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.endpoint,
    },
  });
  const s3 = new S3Client({ endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: creds });
  await s3.send(new CreateBucketCommand({ Bucket: 'twin-docs' }));
  await s3.send(new PutObjectCommand({ Bucket: 'twin-docs', Key: 'in/log.txt', Body: DOC }));
  s3.destroy();
  Object.assign(process.env, { AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: agentcore.endpoint, AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 'lambda' });
  sandbox = new AgentCoreSandbox({
    client: new BedrockAgentCoreClient({ region: 'us-west-2', maxAttempts: 1 }), codeInterpreterId: 'twin-ci', region: 'us-west-2', sessionTimeoutSeconds: 600, hardTimeoutGraceMs: 500,
  });
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await agentcore?.close();
  await bedrock?.close();
  await moto?.stop();
});
afterEach(() => faults.reset());

test('a session loads the document from S3 with boto3, keeps state across cells, sub-calls Bedrock through boto3, and its process dies at stop', async () => {
  const { session, loaded } = await sandbox.start(start('run-main'));
  expect(loaded.totalChars).toBe(DOC.length);
  const kernel = agentcore.sessions.get(session.sessionId)!;
  expect(kernel.status).toBe('READY');
  const pid = kernel.pid!;
  expect(alive(pid)).toBe(true);

  const first = await session.execute('n = context.count("ERROR")\nprint(n)', { timeoutMs: 30_000 });
  expect(first.stdout.trim()).toBe('50000');
  const second = await session.execute('print(n + 1)\nanswer = llm_query("Summarise payments errors")\nprint(answer)', { timeoutMs: 30_000 });
  expect(second.stdout).toContain('50001');
  expect(second.stdout).toContain('payments failed on timeouts');
  expect(second.sub.calls).toBe(1);
  const sub = bedrock.calls.filter((c) => c.role === 'sub');
  expect(sub.length).toBe(1);
  expect(sub[0]).toMatchObject({ modelId: SUB, outcome: 'ok' });
  expect(sub[0].userAgent).toMatch(/Botocore\//);

  const batch = await session.execute('rs = llm_query_batched([f"Summarise s{i} now" for i in range(8)])\nprint(rs)', { timeoutMs: 30_000 });
  expect(batch.stdout).toContain(JSON.stringify([...Array(8).keys()].map((i) => `s${i} failed on timeouts`)).replace(/"/g, "'").replace(/,/g, ', '));
  expect(batch.sub.calls).toBe(8);

  // A throttled sub-call is retried by botocore inside the sandbox (adaptive mode): the code still gets its answer.
  faults.arm({ point: 'bedrock.converse.sub', kind: 'throttle', times: 2 });
  const retried = await session.execute('print(llm_query("Summarise retries"))', { timeoutMs: 60_000 });
  expect(retried.stdout).toContain('retries failed on timeouts');
  expect(faults.fired().map((f) => f.kind)).toEqual(['throttle', 'throttle']);

  const raised = await session.execute('1 / 0', { timeoutMs: 30_000 });
  expect(raised.raised).toBe(true);
  expect(raised.stderr).toContain('ZeroDivisionError');

  await session.close();
  expect(kernel.status).toBe('TERMINATED');
  expect(await gone(pid)).toBe(true);
});

describe('faults at the AgentCore points reach the product adapter as its named errors', () => {
  let session: SandboxSession;
  beforeAll(async () => { session = (await sandbox.start(start('run-faults'))).session; }, 60_000);
  afterAll(async () => { await session.close(); });

  test('throttle at start: SandboxThrottledError, and no session is left behind', async () => {
    faults.arm({ point: 'agentcore.start', kind: 'throttle' });
    const before = agentcore.sessions.size;
    await expect(sandbox.start(start('run-throttled'))).rejects.toBeInstanceOf(SandboxThrottledError);
    expect(agentcore.sessions.size).toBe(before);
  });

  test('throttle before output: retried inside the call (no output yet, so it is safe), the cell runs once', async () => {
    await session.execute('hits = 0', { timeoutMs: 10_000 });
    faults.arm({ point: 'agentcore.invoke.before-output', kind: 'throttle' });
    const result = await session.execute('hits += 1', { timeoutMs: 10_000 });
    expect(result.raised).toBe(false);
    expect((await session.execute('print(hits)', { timeoutMs: 10_000 })).stdout.trim()).toBe('1');
  });

  test('a throttle that outlasts the in-call retries is SandboxThrottledError, and the cell never ran', async () => {
    faults.arm({ point: 'agentcore.invoke.before-output', kind: 'throttle', times: Infinity });
    await expect(session.execute('hits += 1', { timeoutMs: 10_000 })).rejects.toBeInstanceOf(SandboxThrottledError);
    faults.reset();
    expect((await session.execute('print(hits)', { timeoutMs: 10_000 })).stdout.trim()).toBe('1');
  }, 30_000);

  test('internalServerException after output: the adapter fails the call (no retry: the cell ran once)', async () => {
    faults.arm({ point: 'agentcore.invoke.after-output', kind: 'server-error' });
    await expect(session.execute('hits += 1', { timeoutMs: 10_000 })).rejects.toBeInstanceOf(SandboxError);
    expect((await session.execute('print(hits)', { timeoutMs: 10_000 })).stdout.trim()).toBe('2');
  });

  test('a dropped connection after output is a SandboxError; the session lives on', async () => {
    faults.arm({ point: 'agentcore.invoke.after-output', kind: 'drop-connection' });
    await expect(session.execute('hits += 1', { timeoutMs: 10_000 })).rejects.toBeInstanceOf(SandboxError);
    expect((await session.execute('print(hits)', { timeoutMs: 10_000 })).stdout.trim()).toBe('3');
  });

  test('a killed kernel comes back empty: the adapter reports the session lost', async () => {
    const oldPid = agentcore.sessions.get(session.sessionId)!.pid!;
    faults.arm({ point: 'agentcore.invoke.before-output', kind: 'kill' });
    await expect(session.execute('print(hits)', { timeoutMs: 10_000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
    expect(await gone(oldPid)).toBe(true);
  });

  test('a stream that never ends after output (timeout): the adapter abandons the cell at its deadline and stops the session', async () => {
    faults.arm({ point: 'agentcore.invoke.after-output', kind: 'timeout' });
    const t0 = Date.now();
    const result = await session.execute('print("ran")', { timeoutMs: 1000 });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(agentcore.sessions.get(session.sessionId)!.status).toBe('TERMINATED');
  });
});

test('the raw stream: result events with structuredContent and isError; a stream exception before output; the session timeout kills the kernel', async () => {
  const client = new BedrockAgentCoreClient({ endpoint: agentcore.endpoint, region: 'us-west-2', maxAttempts: 1, credentials: creds });
  const startSession = async (seconds: number) => (await client.send(new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier: 'twin-ci', sessionTimeoutSeconds: seconds }))).sessionId!;
  // One session for the stream checks, one left idle to time out (only a lower bound on time is asserted).
  const [sessionId, idleId] = await Promise.all([startSession(300), startSession(3)]);
  const idleStarted = Date.now();
  const run = async (id: string, code: string) => {
    const res = await client.send(new InvokeCodeInterpreterCommand({ codeInterpreterIdentifier: 'twin-ci', sessionId: id, name: 'executeCode', arguments: { language: 'python', code } }));
    expect(res.sessionId).toBe(id);
    const events = [];
    for await (const ev of res.stream!) events.push(ev);
    return events;
  };
  const [ok] = await run(sessionId, 'import os, sys\nprint(os.environ["AWS_ACCESS_KEY_ID"])\nprint("warn", file=sys.stderr)');
  expect(ok.result).toMatchObject({ isError: false, content: [{ type: 'text', text: 'AKIDROLE\n' }], structuredContent: { stdout: 'AKIDROLE\n', stderr: 'warn\n', exitCode: 0 } });
  const [bad] = await run(sessionId, 'raise ValueError("boom")');
  expect(bad.result?.isError).toBe(true);
  expect(bad.result?.structuredContent?.stderr).toMatch(/^Traceback[\s\S]*ValueError: boom/);
  expect(bad.result?.structuredContent?.stderr).not.toContain('kernel.py');
  faults.arm({ point: 'agentcore.invoke.before-output', kind: 'server-error', error: 'internalServerException', where: sessionId });
  await expect(run(sessionId, 'print(1)')).rejects.toMatchObject({ name: 'InternalServerException' });

  const pid = agentcore.sessions.get(idleId)!.pid!;
  const status = async () => (await client.send(new GetCodeInterpreterSessionCommand({ codeInterpreterIdentifier: 'twin-ci', sessionId: idleId }))).status;
  for (let i = 0; i < 100 && (await status()) === 'READY'; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await status()).toBe('TERMINATED');
  expect(Date.now() - idleStarted).toBeGreaterThanOrEqual(2900);
  expect(await gone(pid)).toBe(true);
  await expect(run(idleId, 'print(1)')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  client.destroy();
});

test('ListCodeInterpreterSessions pages and filters as modelled; a new session of a run first stops the ones the run left', async () => {
  const client = new BedrockAgentCoreClient({ endpoint: agentcore.endpoint, region: 'us-west-2', maxAttempts: 1, credentials: creds });
  const name = sessionNameFor('leaky-run');
  const startNamed = async (n: string) => (await client.send(new StartCodeInterpreterSessionCommand({ codeInterpreterIdentifier: 'twin-ci', name: n, sessionTimeoutSeconds: 300 }))).sessionId!;
  const leaked = [await startNamed(name), await startNamed(name)];
  const other = await startNamed('rlm-someone-else');
  const stopped = await startNamed(name);
  await client.send(new StopCodeInterpreterSessionCommand({ codeInterpreterIdentifier: 'twin-ci', sessionId: stopped }));
  const pages: string[][] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListCodeInterpreterSessionsCommand({ codeInterpreterIdentifier: 'twin-ci', status: 'READY', maxResults: 1, nextToken }));
    expect(page.items!.every((i) => i.status === 'READY' && i.createdAt instanceof Date)).toBe(true);
    pages.push(page.items!.map((i) => i.sessionId!));
    nextToken = page.nextToken;
  } while (nextToken);
  expect(pages.every((p) => p.length === 1)).toBe(true);
  expect(pages.flat()).toEqual(expect.arrayContaining([...leaked, other]));
  expect(pages.flat()).not.toContain(stopped);
  await expect(client.send(new ListCodeInterpreterSessionsCommand({ codeInterpreterIdentifier: 'twin-ci', maxResults: 101 }))).rejects.toMatchObject({ name: 'ValidationException' });

  const { session } = await sandbox.start(start('leaky-run'));
  expect(leaked.map((id) => agentcore.sessions.get(id)!.status)).toEqual(['TERMINATED', 'TERMINATED']);
  expect(agentcore.sessions.get(other)!.status).toBe('READY');
  expect(agentcore.sessions.get(session.sessionId)!.name).toBe(name);
  await session.close();
  await client.send(new StopCodeInterpreterSessionCommand({ codeInterpreterIdentifier: 'twin-ci', sessionId: other }));
  client.destroy();
});

test('boto3 reads the same wire: sessions, result events, timestamps and a stream exception event', async () => {
  faults.arm({ point: 'agentcore.invoke.after-output', kind: 'server-error', afterHits: 2 });
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: agentcore.endpoint, AWS_ACCESS_KEY_ID: 'AKIDTWIN', AWS_SECRET_ACCESS_KEY: 'twin' };
  const { stdout } = await promisify(execFile)('python3', [path.join(__dirname, 'boto3_agentcore_client.py')], { env, timeout: 30_000 });
  const out = JSON.parse(stdout);
  expect(out.createdAtType).toBe('datetime');
  expect(out.sessionHeader).toBe(true);
  expect(out.results.map((r: { structuredContent: { stdout: string } }) => r.structuredContent.stdout)).toEqual(['', '42\n', 'then a failure\n']);
  expect(out.results[1]).toMatchObject({ isError: false, content: [{ type: 'text', text: '42\n' }], structuredContent: { exitCode: 0, stderr: '' } });
  expect(out.streamError).toEqual({ class: 'EventStreamError', code: 'internalServerException' });
  expect([out.status, out.stopped]).toEqual(['READY', 'TERMINATED']);
});

test('every error shape of the AgentCore service model reaches the JS SDK as its own exception class and status', async () => {
  const client = new BedrockAgentCoreClient({ endpoint: agentcore.endpoint, region: 'us-west-2', maxAttempts: 1, credentials: creds });
  const errors = [...modelledErrors(agentcoreSdk as unknown as Record<string, unknown>).values()];
  expect(errors.map((e) => e.name)).toEqual(expect.arrayContaining(['ThrottlingException', 'InternalServerException', 'ResourceNotFoundException', 'ValidationException']));
  for (const e of errors) {
    faults.arm({ point: 'agentcore.get', kind: 'server-error', error: e.name });
    const err = await client.send(new GetCodeInterpreterSessionCommand({ codeInterpreterIdentifier: 'twin-ci', sessionId: 'any' })).catch((x: unknown) => x) as Error & { $metadata: { httpStatusCode: number } };
    const cls = (agentcoreSdk as unknown as Record<string, new (...a: never[]) => Error>)[e.name];
    expect({ name: err.name, cls: err instanceof cls, status: err.$metadata.httpStatusCode }).toEqual({ name: e.name, cls: true, status: e.status });
  }
  client.destroy();
});
