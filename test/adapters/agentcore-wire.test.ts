/**
 * AgentCoreSandbox over the SDK's real wire path: a real BedrockAgentCoreClient whose HTTP handler
 * answers with AWS event-stream frames (binary, CRC-checked), so request serialisation and the SDK's
 * own stream decoding (which throws modelled exception frames as SDK errors) are exercised for real.
 */
import { Readable } from 'node:stream';
import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { AgentCoreSandbox } from '../../lambdas/adapters/agentcore';
import { SandboxSessionLostError, SandboxUnavailableError } from '../../lambdas/core/errors';
import type { SandboxStartOptions } from '../../lambdas/core/ports';
import { printedCellInvocation } from '../../lambdas/core/prelude.py';
import { cellStdout, TEST_NONCE } from './agentcore/stream-fixtures';

const toUtf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const fromUtf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const codec = new EventStreamCodec(toUtf8, fromUtf8);

function frame(headers: Record<string, string>, body: unknown): Uint8Array {
  const h: Record<string, { type: 'string'; value: string }> = {};
  for (const [k, v] of Object.entries(headers)) h[k] = { type: 'string', value: v };
  return codec.encode({ headers: h, body: fromUtf8(JSON.stringify(body)) });
}
const resultFrame = (stdout: string, stderr = '') =>
  frame({ ':message-type': 'event', ':event-type': 'result', ':content-type': 'application/json' }, {
    content: [{ type: 'text', text: stdout }],
    structuredContent: { stdout, stderr, exitCode: 0, executionTime: 0.01 },
    isError: false,
  });
const exceptionFrame = (type: string, message: string) =>
  frame({ ':message-type': 'exception', ':exception-type': type, ':content-type': 'application/json' }, { message });

/** The request body as text (the SDK hands a string or bytes). */
function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return '';
}

interface SeenRequest { method: string; path: string; query: Record<string, unknown>; headers: Record<string, string>; body: string }
type Reply = { status: number; headers: Record<string, string>; frames?: Uint8Array[]; json?: unknown };

function wireSandbox(replies: Reply[]) {
  const seen: SeenRequest[] = [];
  const requestHandler = {
    handle: async (req: SeenRequest & { body?: unknown }) => {
      seen.push({ method: req.method, path: req.path, query: req.query, headers: req.headers, body: bodyText(req.body) });
      const r = replies.shift();
      if (!r) throw new Error(`unexpected request ${req.method} ${req.path}`);
      const body = r.frames ? Readable.from(r.frames) : Readable.from([Buffer.from(JSON.stringify(r.json ?? {}))]);
      return { response: { statusCode: r.status, headers: r.headers, body } };
    },
  };
  const client = new BedrockAgentCoreClient({
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: requestHandler as never,
  });
  const sandbox = new AgentCoreSandbox({ client, codeInterpreterId: 'rlm_ci-AbC123', region: 'us-east-1', sessionTimeoutSeconds: 900, cellNonce: () => TEST_NONCE });
  return { sandbox, seen };
}

const OPTIONS: SandboxStartOptions = { runId: 'r', documents: [], subModelId: 'm', subConcurrency: 2, maxCaptureChars: 1000 };
const READY: Reply = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  json: { codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId: 's-1', createdAt: '2025-01-01T00:00:00Z', status: 'READY' },
};
const STREAM_HEADERS = { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-code-interpreter-session-id': 's-1' };

describe('AgentCoreSandbox over the SDK wire path', () => {
  it('serialises the invoke request and decodes the event stream into a CellResult', async () => {
    const { sandbox, seen } = wireSandbox([READY, { status: 200, headers: STREAM_HEADERS, frames: [resultFrame(cellStdout({ stdout: 'hi\n', duration_ms: 7 }))] }]);
    const session = await sandbox.resume('s-1', OPTIONS);
    const result = await session.execute('print("hi")', { timeoutMs: 30_000 });
    expect(result).toMatchObject({ stdout: 'hi\n', stderr: '', durationMs: 7, raised: false });
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/code-interpreters/rlm_ci-AbC123/sessions/get', query: { sessionId: 's-1' } });
    expect(seen[1]).toMatchObject({ method: 'POST', path: '/code-interpreters/rlm_ci-AbC123/tools/invoke' });
    expect(seen[1].headers['x-amzn-code-interpreter-session-id']).toBe('s-1');
    expect(JSON.parse(seen[1].body)).toEqual({ name: 'executeCode', arguments: { language: 'python', code: printedCellInvocation('print("hi")', 30, { nonce: TEST_NONCE }) } });
  });

  it('maps a throttlingException frame after output (thrown by the SDK mid-stream) to SandboxUnavailableError, not retried', async () => {
    const { sandbox, seen } = wireSandbox([READY, { status: 200, headers: STREAM_HEADERS, frames: [resultFrame('partial'), exceptionFrame('throttlingException', 'Rate exceeded')] }]);
    const session = await sandbox.resume('s-1', OPTIONS);
    const err = (await session.execute('x', { timeoutMs: 5000 }).then(() => undefined, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect(err.message).toMatch(/^AgentCore cell failed: ThrottlingException: Rate exceeded \(after output had arrived/);
    expect(seen).toHaveLength(2); // one invoke: a cell that may have run is never sent again
  });

  it('retries an internalServerException frame that came before any output, with maxAttempts 1 on the client', async () => {
    const { sandbox, seen } = wireSandbox([
      READY,
      { status: 200, headers: STREAM_HEADERS, frames: [exceptionFrame('internalServerException', 'try again')] },
      { status: 200, headers: STREAM_HEADERS, frames: [resultFrame(cellStdout({ stdout: 'second\n' }))] },
    ]);
    const session = await sandbox.resume('s-1', OPTIONS);
    expect((await session.execute('x', { timeoutMs: 10_000 })).stdout).toBe('second\n');
    expect(seen.filter((r) => r.path.endsWith('/tools/invoke'))).toHaveLength(2);
  });

  it('maps a resourceNotFoundException frame and an HTTP 404 on the call to SandboxSessionLostError', async () => {
    const notFound: Reply = {
      status: 404,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' },
      json: { message: 'Session s-1 not found' },
    };
    const { sandbox } = wireSandbox([READY, { status: 200, headers: STREAM_HEADERS, frames: [exceptionFrame('resourceNotFoundException', 'Session expired')] }, notFound, notFound]);
    const session = await sandbox.resume('s-1', OPTIONS);
    await expect(session.execute('x', { timeoutMs: 5000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
    await expect(session.execute('x', { timeoutMs: 5000 })).rejects.toThrow('AgentCore cell failed: ResourceNotFoundException: Session s-1 not found');
    await expect(sandbox.resume('s-1', OPTIONS)).rejects.toBeInstanceOf(SandboxSessionLostError);
  });
});
