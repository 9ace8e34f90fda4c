import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  looksLikeBedrockModelId,
  OpenAICompatibleModel,
  resolveOpenAIModel,
} from '../../../lambdas/adapters/models/openai-model';
import type { ModelRequest, ToolSpec } from '../../../lambdas/core/ports';

const TOOL: ToolSpec = {
  name: 'execute_python',
  description: 'Run Python',
  inputSchema: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] },
};

type Reply = { status?: number; body: unknown; delayMs?: number };

/** A real chat-completions server on 127.0.0.1 that records requests and answers from a queue. */
let server: Server;
let baseUrl: string;
const received: Array<{ url: string; headers: IncomingMessage['headers']; body: any }> = [];
const replies: Reply[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(data) });
      const reply = replies.shift() ?? { status: 500, body: { error: { message: 'no reply queued' } } };
      setTimeout(() => {
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
        res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
  replies.length = 0;
});

const completion = (message: Record<string, unknown>, finish = 'stop', usage: Record<string, unknown> = { prompt_tokens: 100, completion_tokens: 20 }) => ({
  id: 'chatcmpl-1', object: 'chat.completion', model: 'qwen2.5-coder:7b',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage,
});

function rootRequest(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    role: 'root',
    modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
    system: 'You are the root model.',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Question?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Looking.' },
          { type: 'tool_use', id: 'call_1', name: 'execute_python', input: { code: 'print(1)' } },
          { type: 'tool_use', id: 'call_2', name: 'execute_python', input: { code: 'print(2)' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', toolUseId: 'call_1', text: '1' },
          { type: 'tool_result', toolUseId: 'call_2', text: 'Traceback...', isError: true },
          { type: 'text', text: '2 iterations left' },
        ],
      },
    ],
    tools: [TOOL],
    maxOutputTokens: 2048,
    temperature: 0.2,
    ...overrides,
  };
}

describe('OpenAICompatibleModel against a real HTTP server', () => {
  it('sends the chat-completions body and maps a tool call round trip', async () => {
    replies.push({
      body: completion(
        { content: 'Counting.', tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'execute_python', arguments: '{"code": "print(3)"}' } }] },
        'tool_calls',
        { prompt_tokens: 500, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 400 } },
      ),
    });
    const model = new OpenAICompatibleModel({ baseUrl: baseUrl + '/', apiKey: 'sk-test', model: 'qwen2.5-coder:7b' });
    expect(model.description).toBe(`openai:${baseUrl}`);
    const res = await model.converse(rootRequest());

    expect(received).toHaveLength(1);
    expect(received[0].url).toBe('/v1/chat/completions');
    expect(received[0].headers.authorization).toBe('Bearer sk-test');
    expect(received[0].body).toEqual({
      model: 'qwen2.5-coder:7b',
      messages: [
        { role: 'system', content: 'You are the root model.' },
        { role: 'user', content: 'Question?' },
        {
          role: 'assistant',
          content: 'Looking.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'execute_python', arguments: '{"code":"print(1)"}' } },
            { id: 'call_2', type: 'function', function: { name: 'execute_python', arguments: '{"code":"print(2)"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '1' },
        { role: 'tool', tool_call_id: 'call_2', content: '[error]\nTraceback...' },
        { role: 'user', content: '2 iterations left' },
      ],
      tools: [{ type: 'function', function: { name: 'execute_python', description: 'Run Python', parameters: TOOL.inputSchema } }],
      max_tokens: 2048,
      temperature: 0.2,
    });

    expect(res.content).toEqual([
      { type: 'text', text: 'Counting.' },
      { type: 'tool_use', id: 'call_9', name: 'execute_python', input: { code: 'print(3)' } },
    ]);
    expect(res.stopReason).toBe('tool_use');
    expect(res.usage).toEqual({ inputTokens: 100, outputTokens: 30, cacheReadTokens: 400 });
    expect(res.modelId).toBe('qwen2.5-coder:7b');
  });

  it('a plain completion: no tools key, no auth header without a key, text reply, finish reasons', async () => {
    replies.push({ body: completion({ content: 'The answer is 42.' }) });
    replies.push({ body: completion({ content: 'cut' }, 'length') });
    const model = new OpenAICompatibleModel({ baseUrl });
    const sub: ModelRequest = { role: 'sub', modelId: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'Summarise' }] }] };
    const res = await model.converse(sub);
    expect(received[0].body).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Summarise' }] });
    expect(received[0].headers.authorization).toBeUndefined();
    expect(res).toMatchObject({ content: [{ type: 'text', text: 'The answer is 42.' }], stopReason: 'end_turn', usage: { inputTokens: 100, outputTokens: 20 } });
    expect((await model.converse(sub)).stopReason).toBe('max_tokens');
  });

  it('takes invalid JSON arguments of execute_python as the code (other tools: see abort-and-timeouts.test.ts)', async () => {
    replies.push({
      body: completion({
        content: null,
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'execute_python', arguments: 'print("raw code")\nx = {1: 2}' } },
        ],
      }, 'stop'),
    });
    const res = await new OpenAICompatibleModel({ baseUrl, model: 'm' }).converse(rootRequest());
    expect(res.content).toEqual([
      { type: 'tool_use', id: 'a', name: 'execute_python', input: { code: 'print("raw code")\nx = {1: 2}' } },
    ]);
    expect(res.stopReason).toBe('tool_use'); // "stop" with tool calls still means tool use
  });

  it.each([
    [429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, 'ModelThrottledError', 'Rate limit reached'],
    [500, { error: { message: 'upstream crashed' } }, 'ModelUnavailableError', 'upstream crashed'],
    [503, 'Service Unavailable', 'ModelUnavailableError', 'Service Unavailable'],
    [400, { error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", code: 'context_length_exceeded' } }, 'ContextWindowExceededError', 'maximum context length'],
    [400, { error: 'the request exceeds the available context size, try increasing the context size or enable context shift' }, 'ContextWindowExceededError', 'context size'],
    [400, { error: { message: 'Invalid value for temperature' } }, 'ModelInvocationError', 'Invalid value for temperature'],
    [404, { error: { message: 'model "nope" not found, try pulling it first' } }, 'ModelInvocationError', 'not found'],
  ])('case %#: HTTP %i -> named error', async (status, body, name, text) => {
    replies.push({ status, body });
    const err = (await new OpenAICompatibleModel({ baseUrl, model: 'm' }).converse(rootRequest()).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe(name);
    expect(err.message).toContain(text);
    expect(err.message).toContain('model m');
  });

  it('times out with ModelUnavailableError, and a closed port is ModelUnavailableError too', async () => {
    replies.push({ delayMs: 500, body: completion({ content: 'late' }) });
    const slow = await new OpenAICompatibleModel({ baseUrl, model: 'm', timeoutMs: 50 }).converse(rootRequest()).catch((e: Error) => e);
    expect(slow).toMatchObject({ name: 'ModelUnavailableError' });
    expect((slow as Error).message).toContain('timed out after 50 ms');

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await new OpenAICompatibleModel({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' })
      .converse(rootRequest()).catch((e: Error) => e);
    expect(refused).toMatchObject({ name: 'ModelUnavailableError' });
  });

  it('hints at RLM_OPENAI_MODEL when a Bedrock ID reached the server and failed', async () => {
    replies.push({ status: 404, body: { error: { message: 'model not found' } } });
    await expect(new OpenAICompatibleModel({ baseUrl }).converse(rootRequest())).rejects.toMatchObject({
      name: 'ModelInvocationError',
      message: expect.stringContaining('set RLM_OPENAI_MODEL'),
    });
    expect(received[0].body.model).toBe('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  it('a 200 without choices or with a non-JSON body is ModelInvocationError', async () => {
    replies.push({ body: { error: { message: 'provider returned error' } } });
    replies.push({ body: '<html>proxy</html>' });
    const model = new OpenAICompatibleModel({ baseUrl, model: 'm' });
    await expect(model.converse(rootRequest())).rejects.toMatchObject({ name: 'ModelInvocationError', message: expect.stringContaining('provider returned error') });
    await expect(model.converse(rootRequest())).rejects.toMatchObject({ name: 'ModelInvocationError', message: expect.stringContaining('invalid JSON') });
  });
});

describe('the connection of OpenAICompatibleModel (node:http, no fetch injected)', () => {
  /** A server that counts the TCP connections it accepted; `gzip` answers with a compressed body. */
  async function countingServer(gzip: boolean): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
    let connections = 0;
    const s = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify(completion({ content: `reply over connection ${connections}` }));
        res.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
        res.end(gzip ? gzipSync(body) : body);
      });
    });
    s.on('connection', () => { connections++; });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`,
      connections: () => connections,
      close: () => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); }),
    };
  }

  it('sequential calls reuse one kept-alive connection (a root turn does not pay a TCP handshake)', async () => {
    const srv = await countingServer(false);
    try {
      const model = new OpenAICompatibleModel({ baseUrl: srv.url, model: 'm' });
      for (let i = 0; i < 5; i++) {
        const res = await model.converse(rootRequest());
        expect(res.content).toEqual([{ type: 'text', text: 'reply over connection 1' }]);
      }
      // a second adapter instance (the sub-model) shares the process's pool
      await new OpenAICompatibleModel({ baseUrl: srv.url, model: 's' }).converse(rootRequest());
      expect(srv.connections()).toBe(1);
    } finally {
      await srv.close();
    }
  });

  it('reads a gzip-encoded response body', async () => {
    const srv = await countingServer(true);
    try {
      const res = await new OpenAICompatibleModel({ baseUrl: srv.url, model: 'm' }).converse(rootRequest());
      expect(res.content).toEqual([{ type: 'text', text: 'reply over connection 1' }]);
    } finally {
      await srv.close();
    }
  });

  it('a URL that is not http(s) is ModelUnavailableError naming the protocol', async () => {
    await expect(new OpenAICompatibleModel({ baseUrl: 'ftp://127.0.0.1:1/v1', model: 'm' }).converse(rootRequest()))
      .rejects.toMatchObject({ name: 'ModelUnavailableError', message: expect.stringContaining('unsupported protocol ftp:') });
  });
});

describe('model selection rule', () => {
  it('uses the configured model for Bedrock IDs, the requested model otherwise', () => {
    expect(resolveOpenAIModel('us.anthropic.claude-haiku-4-5-20251001-v1:0', 'llama3.1:8b')).toBe('llama3.1:8b');
    expect(resolveOpenAIModel('gpt-4o-mini', 'llama3.1:8b')).toBe('gpt-4o-mini');
    expect(resolveOpenAIModel('anthropic.claude-3-haiku-20240307-v1:0', undefined)).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(resolveOpenAIModel('', 'x')).toBe('x');
  });

  it.each([
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', true],
    ['amazon.nova-lite-v1:0', true],
    ['meta.llama3-1-70b-instruct-v1:0', true],
    ['arn:aws:bedrock:us-east-1:1:inference-profile/x', true],
    ['gpt-4o-mini', false],
    ['qwen2.5-coder:7b', false],
    ['llama3.1:8b', false],
    ['meta-llama/Llama-3.1-8B-Instruct', false],
  ])('looksLikeBedrockModelId(%s) = %s', (id, expected) => {
    expect(looksLikeBedrockModelId(id)).toBe(expected);
  });
});
