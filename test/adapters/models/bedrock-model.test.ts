import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { BedrockConverseModel, supportsPromptCaching } from '../../../lambdas/adapters/models/bedrock-model';
import type { ModelRequest, ToolSpec } from '../../../lambdas/core/ports';

const CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const TOOL: ToolSpec = {
  name: 'execute_python',
  description: 'Run Python in the sandbox',
  inputSchema: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] },
};

function rootRequest(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    role: 'root',
    modelId: CLAUDE,
    system: 'You are the root model.',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Question: how many errors?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'tu-1', name: 'execute_python', input: { code: 'print(len(context))' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', toolUseId: 'tu-1', text: 'NameError', isError: true }] },
    ],
    tools: [TOOL],
    maxOutputTokens: 4096,
    temperature: 0,
    ...overrides,
  };
}

function sdkError(name: string, message: string, status: number, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status, requestId: 'req-1' } });
}

describe('BedrockConverseModel', () => {
  const mock = mockClient(BedrockRuntimeClient);
  let model: BedrockConverseModel;

  beforeEach(() => {
    mock.reset();
    model = new BedrockConverseModel({ client: new BedrockRuntimeClient({ region: 'us-east-1' }) });
  });

  it('sends the exact Converse input: tools, tool_use/tool_result mapping, cache points on the prefix', async () => {
    mock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: 'ok' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      metrics: { latencyMs: 5 },
    });
    await model.converse(rootRequest({ cachePrefix: true }));
    expect(mock.commandCalls(ConverseCommand)).toHaveLength(1);
    expect(mock.commandCalls(ConverseCommand)[0].args[0].input).toEqual({
      modelId: CLAUDE,
      system: [{ text: 'You are the root model.' }, { cachePoint: { type: 'default' } }],
      messages: [
        { role: 'user', content: [{ text: 'Question: how many errors?' }] },
        {
          role: 'assistant',
          content: [
            { text: 'Let me look.' },
            { toolUse: { toolUseId: 'tu-1', name: 'execute_python', input: { code: 'print(len(context))' } } },
            { cachePoint: { type: 'default' } },
          ],
        },
        {
          role: 'user',
          content: [{ toolResult: { toolUseId: 'tu-1', content: [{ text: 'NameError' }], status: 'error' } }],
        },
      ],
      inferenceConfig: { maxTokens: 4096, temperature: 0 },
      toolConfig: {
        tools: [{ toolSpec: { name: 'execute_python', description: 'Run Python in the sandbox', inputSchema: { json: TOOL.inputSchema } } }],
      },
    });
  });

  it('adds no cache points without cachePrefix, for models without caching, or for a single message', async () => {
    mock.on(ConverseCommand).resolves({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: 'end_turn' });
    await model.converse(rootRequest());
    await model.converse(rootRequest({ cachePrefix: true, modelId: 'meta.llama3-70b-instruct-v1:0' }));
    await model.converse(rootRequest({ cachePrefix: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }));
    const inputs = mock.commandCalls(ConverseCommand).map((c) => JSON.stringify(c.args[0].input));
    expect(inputs[0]).not.toContain('cachePoint');
    expect(inputs[1]).not.toContain('cachePoint');
    // one message: only the system prompt gets a cache point
    expect(mock.commandCalls(ConverseCommand)[2].args[0].input.system).toEqual([
      { text: 'You are the root model.' }, { cachePoint: { type: 'default' } },
    ]);
    expect(JSON.stringify(mock.commandCalls(ConverseCommand)[2].args[0].input.messages)).not.toContain('cachePoint');
  });

  it('sends a successful tool result with status success', async () => {
    mock.on(ConverseCommand).resolves({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: 'end_turn' });
    const req = rootRequest({ system: undefined, maxOutputTokens: undefined, temperature: undefined });
    req.messages[2] = { role: 'user', content: [{ type: 'tool_result', toolUseId: 'tu-1', text: '42' }] };
    await model.converse(req);
    const input = mock.commandCalls(ConverseCommand)[0].args[0].input;
    expect(input.system).toBeUndefined();
    expect(input.inferenceConfig).toBeUndefined();
    expect(input.messages?.[2].content).toEqual([{ toolResult: { toolUseId: 'tu-1', content: [{ text: '42' }], status: 'success' } }]);
  });

  it('without tools (final call) omits toolConfig and sends the tool history as text, which Converse requires', async () => {
    mock.on(ConverseCommand).resolves({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: 'end_turn' });
    await model.converse(rootRequest({ tools: [] }));
    const input = mock.commandCalls(ConverseCommand)[0].args[0].input;
    expect(input.toolConfig).toBeUndefined();
    expect(input.messages?.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [{ text: 'Let me look.' }, { text: '[called execute_python (tu-1)]\n```python\nprint(len(context))\n```' }],
      },
      { role: 'user', content: [{ text: '[result of tu-1, error]\nNameError' }] },
    ]);
  });

  it('drops blank text blocks and never sends an empty message', async () => {
    mock.on(ConverseCommand).resolves({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: 'end_turn' });
    const req = rootRequest();
    req.messages[1].content[0] = { type: 'text', text: '  \n' };
    req.messages.push({ role: 'assistant', content: [{ type: 'text', text: '' }] });
    await model.converse(req);
    const messages = mock.commandCalls(ConverseCommand)[0].args[0].input.messages ?? [];
    expect(messages[1].content?.[0]).toHaveProperty('toolUse');
    expect(messages[3].content).toEqual([{ text: '(empty)' }]);
  });

  it('maps a realistic response with text, toolUse and cache usage', async () => {
    mock.on(ConverseCommand).resolves({
      $metadata: { httpStatusCode: 200, requestId: 'abc' },
      output: {
        message: {
          role: 'assistant',
          content: [
            { text: 'I will count the errors.' },
            { toolUse: { toolUseId: 'tooluse_Xy12', name: 'execute_python', input: { code: 'print(context.count("ERROR"))' } } },
          ],
        },
      },
      stopReason: 'tool_use',
      usage: { inputTokens: 312, outputTokens: 58, totalTokens: 5370, cacheReadInputTokens: 4800, cacheWriteInputTokens: 200 },
      metrics: { latencyMs: 1234 },
    });
    const res = await model.converse(rootRequest({ cachePrefix: true }));
    expect(res.content).toEqual([
      { type: 'text', text: 'I will count the errors.' },
      { type: 'tool_use', id: 'tooluse_Xy12', name: 'execute_python', input: { code: 'print(context.count("ERROR"))' } },
    ]);
    expect(res.stopReason).toBe('tool_use');
    expect(res.usage).toEqual({ inputTokens: 312, outputTokens: 58, cacheReadTokens: 4800, cacheWriteTokens: 200 });
    expect(res.modelId).toBe(CLAUDE);
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['end_turn', 'end_turn'],
    ['max_tokens', 'max_tokens'],
    ['stop_sequence', 'stop_sequence'],
    ['model_context_window_exceeded', 'max_tokens'],
    ['guardrail_intervened', 'other'],
    ['content_filtered', 'other'],
  ])('maps stopReason %s to %s', async (bedrock, ours) => {
    mock.on(ConverseCommand).resolves({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: bedrock as never });
    expect((await model.converse(rootRequest())).stopReason).toBe(ours);
  });

  it.each([
    ['ThrottlingException', 'Too many requests, please wait before trying again.', 429, 'ModelThrottledError'],
    ['TooManyRequestsException', 'Rate exceeded', 429, 'ModelThrottledError'],
    ['ServiceQuotaExceededException', 'Too many tokens per day', 400, 'ModelThrottledError'],
    ['ServiceUnavailableException', 'Service unavailable', 503, 'ModelUnavailableError'],
    ['InternalServerException', 'Internal error', 500, 'ModelUnavailableError'],
    ['ModelNotReadyException', 'Model is not ready', 429, 'ModelUnavailableError'],
    ['ModelTimeoutException', 'Model timed out', 408, 'ModelUnavailableError'],
    ['ValidationException', 'Input is too long for requested model.', 400, 'ContextWindowExceededError'],
    ['ValidationException', 'prompt is too long: 250000 tokens > 200000 maximum', 400, 'ContextWindowExceededError'],
    ['ValidationException', 'The input exceeds the context window of the model', 400, 'ContextWindowExceededError'],
    ['ValidationException', 'Too many input tokens. Max input tokens: 300000', 400, 'ContextWindowExceededError'],
    ['ValidationException', 'The provided model identifier is invalid.', 400, 'ModelInvocationError'],
    ['AccessDeniedException', "You don't have access to the model with the specified model ID.", 403, 'ModelInvocationError'],
    ['ResourceNotFoundException', 'Model not found', 404, 'ModelInvocationError'],
  ])('maps %s (%s) to the named error', async (name, message, status, expected) => {
    mock.on(ConverseCommand).rejects(sdkError(name, message, status));
    const err = (await model.converse(rootRequest()).catch((e: unknown) => e)) as Error & { cause?: unknown };
    expect(err.name).toBe(expected);
    expect(err.message).toContain(CLAUDE);
    expect(err.message).toContain(message);
    expect((err.cause as Error).name).toBe(name);
  });

  it('maps network failures, unknown 5xx/429 by status, anything else to ModelInvocationError', async () => {
    mock.on(ConverseCommand).rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .rejectsOnce(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))
      .rejectsOnce(sdkError('SomethingNewException', 'boom', 502, 'server'))
      .rejectsOnce(sdkError('SomethingThrottledException', 'slow down', 429))
      .rejectsOnce(new Error('weird'));
    const names: string[] = [];
    for (let i = 0; i < 5; i++) names.push(await model.converse(rootRequest()).catch((e: Error) => e.name) as string);
    expect(names).toEqual(['ModelUnavailableError', 'ModelUnavailableError', 'ModelUnavailableError', 'ModelThrottledError', 'ModelInvocationError']);
  });
});

describe('supportsPromptCaching', () => {
  it.each([
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', true],
    ['anthropic.claude-3-5-haiku-20241022-v1:0', true],
    ['global.anthropic.claude-haiku-4-5-20251001-v1:0', true],
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0', true],
    ['us.amazon.nova-pro-v1:0', true],
    ['amazon.nova-micro-v1:0', true],
    ['anthropic.claude-3-haiku-20240307-v1:0', false],
    ['anthropic.claude-v2:1', false],
    ['meta.llama3-70b-instruct-v1:0', false],
    ['amazon.titan-text-express-v1', false],
  ])('%s -> %s', (id, expected) => {
    expect(supportsPromptCaching(id)).toBe(expected);
  });
});
