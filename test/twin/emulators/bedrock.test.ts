/**
 * The twin's Bedrock Runtime emulator, checked with the real clients: the JS SDK v3 `BedrockRuntimeClient`
 * (HTTP/2, through the product's `BedrockConverseModel` and the standard endpoint variable) and boto3 (HTTP/1.1).
 * Every error shape of the service model must reach both SDKs as its own exception class.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as runtime from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { BEDROCK_IDLE_LIMIT_MS, bedrockRuntimeClientConfig, BedrockConverseModel, LONG_GENERATION_TIMEOUT_MS } from '../../../lambdas/adapters/models/bedrock-model';
import { ROOT_TURN_TIMEOUT_SECONDS } from '../../../lib/pipeline-config';
import type { ModelRequest } from '../../../lambdas/core/ports';
import { ModelThrottledError, ModelUnavailableError } from '../../../lambdas/core/errors';
import { startBedrockEmulator, type BedrockEmulator } from '../../../twin/bedrock/emulator';
import { FaultSwitchboard } from '../../../twin/faults';
import { modelledErrors } from '../../../twin/http';

const script = {
  root: [{ text: 'Looking.', code: 'print(len(context))' }, { code: 'FINAL("done")' }],
  sub: { exact: { 'What is 2+2?': '4' }, rules: [{ match: '^long', reply: 'a reply much longer than two tokens allow' }], default: 'unknown' },
};
const ERRORS = [...modelledErrors(runtime as unknown as Record<string, unknown>).values()];
const ask = [{ role: 'user' as const, content: [{ text: 'What is 2+2?' }] }];

let emu: BedrockEmulator;
let client: BedrockRuntimeClient;
const faults = new FaultSwitchboard();
const saved = { ...process.env };

beforeAll(async () => {
  emu = await startBedrockEmulator({ script, faults, roles: { 'root-model': 'root', 'js-sub': 'sub' } });
  client = new BedrockRuntimeClient({ endpoint: emu.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIDTWIN', secretAccessKey: 'twin' } });
});
afterAll(async () => {
  client.destroy();
  await emu.close();
  process.env = saved;
});
afterEach(() => faults.reset());

test('the service model gives the twin the error table it serves (names and statuses)', () => {
  const byName = Object.fromEntries(ERRORS.map((e) => [e.name, e.status]));
  expect(byName).toMatchObject({ ThrottlingException: 429, ValidationException: 400, ServiceUnavailableException: 503,
    InternalServerException: 500, ModelTimeoutException: 408, AccessDeniedException: 403, ResourceNotFoundException: 404,
    ModelNotReadyException: 429, ModelErrorException: 424 });
});

test('the product adapter, configured only by AWS_ENDPOINT_URL_BEDROCK_RUNTIME, gets scripted root turns with tool use', async () => {
  Object.assign(process.env, { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.endpoint, AWS_ACCESS_KEY_ID: 'AKIDTWIN', AWS_SECRET_ACCESS_KEY: 'twin' });
  const model = new BedrockConverseModel({ region: 'us-west-2' });
  const tools = [{ name: 'execute_python', description: 'run code', inputSchema: { type: 'object' } }];
  const reply = await model.converse({ role: 'root', modelId: 'root-model', system: 'You are root.', messages: [{ role: 'user', content: [{ type: 'text', text: 'Go' }] }], tools });
  expect(reply.stopReason).toBe('tool_use');
  expect(reply.content).toEqual([{ type: 'text', text: 'Looking.' }, { type: 'tool_use', id: 'scripted-0-0', name: 'execute_python', input: { code: 'print(len(context))' } }]);
  expect(reply.usage.inputTokens).toBeGreaterThan(0);
  // Armed for every hit: the SDK's own retries meet the fault too.
  faults.arm({ point: 'bedrock.converse.root', kind: 'throttle', times: Infinity });
  await expect(model.converse({ role: 'root', modelId: 'root-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'Go' }] }] }))
    .rejects.toBeInstanceOf(ModelThrottledError);
  expect(faults.fired().length).toBeGreaterThanOrEqual(1);
  faults.reset();
  faults.arm({ point: 'bedrock.converse.root', kind: 'server-error', status: 503, times: Infinity });
  await expect(model.converse({ role: 'root', modelId: 'root-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'Go' }] }] }))
    .rejects.toBeInstanceOf(ModelUnavailableError);
  expect(emu.calls.at(-1)).toMatchObject({ role: 'root', outcome: 'ServiceUnavailableException' });
});

test('every modelled error reaches the JS SDK as its own exception class and status', async () => {
  for (const e of ERRORS) {
    faults.arm({ point: 'bedrock.converse.root', kind: 'server-error', error: e.name, where: 'root-model' });
    const err = await client.send(new ConverseCommand({ modelId: 'root-model', messages: ask })).catch((x: unknown) => x) as Error & { $metadata: { httpStatusCode: number } };
    const cls = (runtime as unknown as Record<string, new (...a: never[]) => Error>)[e.name];
    expect({ name: err.name, cls: err instanceof cls, status: err.$metadata.httpStatusCode }).toEqual({ name: e.name, cls: true, status: e.status });
  }
});

test('maxTokens cuts the reply with stopReason max_tokens; ConverseStream frames the same reply as events', async () => {
  const cut = await client.send(new ConverseCommand({ modelId: 'js-sub', messages: [{ role: 'user', content: [{ text: 'long one' }] }], inferenceConfig: { maxTokens: 3 } }));
  expect(cut.stopReason).toBe('max_tokens');
  expect(cut.output?.message?.content?.[0].text).toBe('a reply much');
  expect(cut.usage?.outputTokens).toBe(3);
  const res = await client.send(new ConverseStreamCommand({ modelId: 'root-model', messages: ask, toolConfig: { tools: [{ toolSpec: { name: 'execute_python', inputSchema: { json: {} } } }] } }));
  const events: string[] = [];
  let code = '';
  for await (const ev of res.stream!) {
    events.push(Object.keys(ev).find((k) => (ev as unknown as Record<string, unknown>)[k] !== undefined)!);
    if (ev.contentBlockDelta?.delta?.toolUse) code += ev.contentBlockDelta.delta.toolUse.input;
  }
  expect(events).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockStop', 'contentBlockStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
  expect(JSON.parse(code)).toEqual({ code: 'print(len(context))' });
});

test('a ConverseStream fault naming a stream member fails mid-stream, after messageStart, as that exception', async () => {
  faults.arm({ point: 'bedrock.converse.root', kind: 'server-error', error: 'modelStreamErrorException' });
  const res = await client.send(new ConverseStreamCommand({ modelId: 'root-model', messages: ask }));
  const seen: string[] = [];
  const err = await (async () => { for await (const ev of res.stream!) seen.push(Object.keys(ev)[0]); })().catch((e: Error) => e);
  expect(seen).toEqual(['messageStart']);
  expect(err).toBeInstanceOf(runtime.ModelStreamErrorException);
});

test('requests Bedrock refuses are refused: blank text, tool blocks without toolConfig, a conversation starting with the assistant', async () => {
  const bad = async (input: runtime.ConverseCommandInput) => ((await client.send(new ConverseCommand(input)).catch((e: Error) => e)) as Error);
  expect((await bad({ modelId: 'm', messages: [{ role: 'user', content: [{ text: '  ' }] }] })).message).toMatch(/is blank/);
  const toolTurn = [{ role: 'user' as const, content: [{ text: 'a' }] }, { role: 'assistant' as const, content: [{ toolUse: { toolUseId: 't', name: 'x', input: {} } }] }];
  expect((await bad({ modelId: 'm', messages: toolTurn })).message).toMatch(/toolConfig field must be defined/);
  expect((await bad({ modelId: 'm', messages: [{ role: 'assistant', content: [{ text: 'a' }] }] })).name).toBe('ValidationException');
});

test('a dropped connection and a delay are real: the call fails at the socket, the next succeeds; the delay is felt', async () => {
  faults.arm({ point: 'bedrock.converse.root', kind: 'drop-connection' });
  await expect(client.send(new ConverseCommand({ modelId: 'root-model', messages: ask }))).rejects.toThrow();
  faults.arm({ point: 'bedrock.converse.root', kind: 'delay', delayMs: 300 });
  const t0 = Date.now();
  await client.send(new ConverseCommand({ modelId: 'root-model', messages: ask }));
  expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  expect(faults.fired().map((f) => f.kind)).toEqual(['drop-connection', 'delay']);
});

test('long generations: the client config sets the HTTP/2 handler timeouts, which decide whether a slow reply is waited for', async () => {
  // The pipeline's root client waits above the 300 s idle limit and below the RootTurn Lambda's timeout.
  expect(LONG_GENERATION_TIMEOUT_MS).toBeGreaterThan(BEDROCK_IDLE_LIMIT_MS);
  expect(LONG_GENERATION_TIMEOUT_MS).toBeLessThan(ROOT_TURN_TIMEOUT_SECONDS * 1000);
  expect(bedrockRuntimeClientConfig({ region: 'eu-west-1' }).requestHandler).toEqual({ requestTimeout: LONG_GENERATION_TIMEOUT_MS, sessionTimeout: LONG_GENERATION_TIMEOUT_MS });
  // Scaled down on the twin's HTTP/2 endpoint: a reply 1.2 s late is given up by a 400 ms handler, waited for by a 5 s one.
  const creds = { credentials: { accessKeyId: 'AKIDTWIN', secretAccessKey: 'twin' }, endpoint: emu.endpoint, maxAttempts: 1 };
  const short = new BedrockRuntimeClient({ ...bedrockRuntimeClientConfig({ region: 'us-east-1', timeoutMs: 400 }), ...creds });
  const long = new BedrockRuntimeClient({ ...bedrockRuntimeClientConfig({ region: 'us-east-1', timeoutMs: 5_000 }), ...creds });
  try {
    faults.arm({ point: 'bedrock.converse.root', kind: 'delay', delayMs: 1_200, times: 2 });
    const request: ModelRequest = { role: 'root', modelId: 'root-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] }] };
    const failed = await new BedrockConverseModel({ client: short, timeoutMs: 10_000 }).converse(request).then(() => undefined, (e: Error) => e);
    expect(failed?.name).toBe('ModelUnavailableError');
    const reply = await new BedrockConverseModel({ client: long, timeoutMs: 10_000 }).converse(request);
    expect(reply.content).toEqual(expect.arrayContaining([{ type: 'text', text: 'Looking.' }]));
  } finally {
    short.destroy();
    long.destroy();
  }
});

test('boto3 (the sandbox client) is a sub caller, gets scripted sub replies, max_tokens, streams, and every error class', async () => {
  for (const e of ERRORS) faults.arm({ point: 'bedrock.converse.sub', kind: 'server-error', error: e.name, where: `err-${e.name}` });
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.endpoint, AWS_ACCESS_KEY_ID: 'AKIDTWIN', AWS_SECRET_ACCESS_KEY: 'twin' };
  const { stdout } = await promisify(execFile)('python3', [path.join(__dirname, 'boto3_bedrock_client.py'), JSON.stringify(ERRORS.map((e) => e.name))], { env, timeout: 30_000 });
  const out = JSON.parse(stdout);
  expect(out.reply).toBe('4');
  expect(out.stopReason).toBe('end_turn');
  expect(out.usage.totalTokens).toBe(out.usage.inputTokens + out.usage.outputTokens);
  expect(out.cut).toEqual({ text: 'a reply ', stopReason: 'max_tokens', outputTokens: 2 });
  expect(out.stream).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
  for (const e of ERRORS) expect([e.name, out.errors[e.name]]).toEqual([e.name, { class: e.name, code: e.name, status: e.status, modelled: true }]);
  expect(emu.calls.filter((c) => c.modelId === 'sub-model').every((c) => c.role === 'sub' && /Botocore\//.test(c.userAgent))).toBe(true);
});
