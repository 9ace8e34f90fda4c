/**
 * Abort and timeout of the real adapters against loopback servers: an aborted call rejects at once
 * with `AbortError` and closes its HTTP request; a hung server fails as `ModelUnavailableError` after
 * the timeout; malformed `tool_calls` are `ModelInvocationError`.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { BedrockConverseModel } from '../../../lambdas/adapters/models/bedrock-model';
import { OpenAICompatibleModel } from '../../../lambdas/adapters/models/openai-model';
import { ScriptedModel } from '../../../lambdas/adapters/models/scripted-model';
import { AbortError } from '../../../lambdas/core/errors';
import type { ModelRequest } from '../../../lambdas/core/ports';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler;
let server: Server;
let port: number;
const closedRequests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      res.on('close', () => { if (!res.writableEnded) closedRequests.push(req.url ?? ''); });
      handler(req, data, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => { closedRequests.length = 0; });

const request: ModelRequest = { role: 'sub', modelId: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };
const hang: Handler = () => undefined;
const waitFor = async (cond: () => boolean) => { for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10)); };

describe('OpenAI-compatible adapter', () => {
  const model = (timeoutMs?: number) => new OpenAICompatibleModel({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', ...(timeoutMs ? { timeoutMs } : {}) });

  it('an abort rejects at once with AbortError (not retryable) and closes the request', async () => {
    handler = hang;
    const controller = new AbortController();
    const call = model().converse(request, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('run cancelled')), 100);
    const t0 = Date.now();
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ name: 'AbortError', message: expect.stringContaining('run cancelled') });
    expect(Date.now() - t0).toBeLessThan(2_000);
    await waitFor(() => closedRequests.length > 0);
    expect(closedRequests).toEqual(['/v1/chat/completions']);
  });

  it('an already aborted signal makes no request', async () => {
    let requests = 0;
    handler = (_q, _b, res) => { requests++; res.end('{}'); };
    await expect(model().converse(request, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(requests).toBe(0);
  });

  it('a hung server is ModelUnavailableError after the timeout', async () => {
    handler = hang;
    await expect(model(150).converse(request)).rejects.toMatchObject({ name: 'ModelUnavailableError', message: expect.stringContaining('timed out after 150 ms') });
  });

  const reply = (toolCalls: unknown) => (_q: IncomingMessage, _b: string, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: null, tool_calls: toolCalls }, finish_reason: 'tool_calls' }] }));
  };
  it.each([
    ['tool_calls: "oops"', 'oops', /expected an array, got string/],
    ['an entry without function', [{ id: 'a', type: 'function' }], /tool call 0 has no "function" object/],
    ['a missing function name', [{ id: 'a', type: 'function', function: { arguments: '{}' } }], /tool call 0 has no function name/],
    ['a numeric name', [{ id: 'a', type: 'function', function: { name: 7, arguments: '{}' } }], /tool call 0 has no function name/],
    ['arguments of the wrong type', [{ id: 'a', type: 'function', function: { name: 'execute_python', arguments: 42 } }], /arguments of type number/],
    ['arguments not JSON (not the code tool)', [{ id: 'a', type: 'function', function: { name: 'lookup', arguments: '{oops' } }], /tool call 0 \(lookup\).*not a JSON object: \{oops/],
    ['arguments a JSON array', [{ id: 'a', type: 'function', function: { name: 'lookup', arguments: '[1]' } }], /not a JSON object/],
  ])('%s is a named ModelInvocationError', async (_what, toolCalls, message) => {
    handler = reply(toolCalls);
    await expect(model().converse({ ...request, role: 'root' })).rejects.toMatchObject({ name: 'ModelInvocationError', message: expect.stringMatching(message) });
  });
});

describe('Bedrock adapter over a loopback endpoint (the Bedrock runtime client speaks HTTP/2)', () => {
  let h2: Http2Server;
  let h2port: number;
  const h2closed: string[] = [];
  const h2opened: string[] = [];
  beforeAll(async () => {
    h2 = createH2Server();
    h2.on('stream', (stream, headers) => {
      h2opened.push(String(headers[':path']));
      stream.on('close', () => h2closed.push(String(headers[':path'])));
      stream.resume(); // read the body, never answer
    });
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    h2port = (h2.address() as AddressInfo).port;
  });
  afterAll(async () => { await new Promise<void>((resolve) => h2.close(() => resolve())); });

  const model = (timeoutMs?: number) => new BedrockConverseModel({
    client: new BedrockRuntimeClient({
      region: 'us-east-1', endpoint: `http://127.0.0.1:${h2port}`, maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    }),
    ...(timeoutMs ? { timeoutMs } : {}),
  });

  it('an abort reaches the SDK: AbortError at once, the request stream is closed', async () => {
    const controller = new AbortController();
    const client = model();
    const call = client.converse(request, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const t0 = Date.now();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await waitFor(() => h2closed.length > 0);
    expect(h2opened).toEqual([expect.stringMatching(/^\/model\/m\/converse/)]);
    expect(h2closed[0]).toMatch(/^\/model\/m\/converse/);
  });

  it('a hung endpoint is ModelUnavailableError after the timeout (retryable), not an abort', async () => {
    await expect(model(300).converse(request)).rejects.toMatchObject({ name: 'ModelUnavailableError', message: expect.stringContaining('within 300 ms') });
  });
});

test('the scripted model aborts its latency', async () => {
  const scripted = new ScriptedModel({ latencyMs: 60_000, sub: { default: 'x' } });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const t0 = Date.now();
  await expect(scripted.converse(request, { signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  expect(Date.now() - t0).toBeLessThan(2_000);
});
