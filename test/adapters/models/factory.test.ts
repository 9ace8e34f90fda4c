import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  createLanguageModel,
  OpenAICompatibleModel,
  ScriptedModel,
} from '../../../lambdas/adapters/models';
import { BedrockConverseModel } from '../../../lambdas/adapters/models/bedrock-model';

const ok = async () => {};
const noCredentials = async () => {
  throw new Error('Could not load credentials from any providers');
};

describe('createLanguageModel', () => {
  it('bedrock: checks credentials through the injected check, then builds the Converse model', async () => {
    const client = new BedrockRuntimeClient({ region: 'eu-west-1' });
    const seen: BedrockRuntimeClient[] = [];
    const model = await createLanguageModel('bedrock', {}, {
      bedrockClient: client,
      checkAwsCredentials: async (c) => { seen.push(c); },
    });
    expect(model).toBeInstanceOf(BedrockConverseModel);
    expect(model.description).toBe('bedrock');
    expect(seen).toEqual([client]);
  });

  it('bedrock without credentials: ModelNotConfiguredError naming every option', async () => {
    const err = (await createLanguageModel('bedrock', { AWS_REGION: 'us-east-1' }, { checkAwsCredentials: noCredentials })
      .catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('ModelNotConfiguredError');
    for (const part of [
      '--llm bedrock', 'AWS credentials', 'Bedrock model access', 'Could not load credentials',
      '--llm openai', 'RLM_OPENAI_BASE_URL', 'OPENAI_BASE_URL', 'RLM_OPENAI_MODEL',
      '--llm scripted:FILE',
    ]) {
      expect(err.message).toContain(part);
    }
  });

  it('bedrock: RLM_BEDROCK_TIMEOUT_MS must be a positive integer', async () => {
    const ok = async () => undefined;
    await expect(createLanguageModel('bedrock', { RLM_BEDROCK_TIMEOUT_MS: '30000' }, { checkAwsCredentials: ok })).resolves.toBeInstanceOf(BedrockConverseModel);
    await expect(createLanguageModel('bedrock', { RLM_BEDROCK_TIMEOUT_MS: 'soon' }, { checkAwsCredentials: ok }))
      .rejects.toMatchObject({ name: 'ConfigError', message: 'RLM_BEDROCK_TIMEOUT_MS must be a positive integer, got "soon"' });
  });

  it('the default check uses the client credential chain (here: the fake test credentials)', async () => {
    await expect(createLanguageModel('bedrock', { AWS_REGION: 'us-east-1' })).resolves.toBeInstanceOf(BedrockConverseModel);
  });

  it('openai: base URL from RLM_OPENAI_BASE_URL, else OPENAI_BASE_URL; missing -> ModelNotConfiguredError', async () => {
    const a = await createLanguageModel('openai', { RLM_OPENAI_BASE_URL: 'http://127.0.0.1:1/v1', OPENAI_BASE_URL: 'http://other/v1', RLM_OPENAI_MODEL: 'm' });
    expect(a).toBeInstanceOf(OpenAICompatibleModel);
    expect(a.description).toBe('openai:http://127.0.0.1:1/v1');
    const b = await createLanguageModel('openai', { OPENAI_BASE_URL: 'https://api.example.com/v1/', OPENAI_API_KEY: 'k' });
    expect(b.description).toBe('openai:https://api.example.com/v1');
    await expect(createLanguageModel('openai', {})).rejects.toMatchObject({
      name: 'ModelNotConfiguredError',
      message: expect.stringContaining('--llm scripted:FILE'),
    });
  });

  it('openai:<baseUrl> uses the inline URL and the env model and key', async () => {
    const requests: Array<{ url: string; init: RequestInit }> = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      return new Response(JSON.stringify({ choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] }), { status: 200 });
    }) as unknown as typeof fetch;
    const model = await createLanguageModel('openai:http://127.0.0.1:11434/v1', { RLM_OPENAI_MODEL: 'llama3.1:8b', OPENAI_API_KEY: 'sk' }, { fetchImpl });
    expect(model.description).toBe('openai:http://127.0.0.1:11434/v1');
    await model.converse({ role: 'sub', modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }] });
    expect(requests[0].url).toBe('http://127.0.0.1:11434/v1/chat/completions');
    expect(JSON.parse(requests[0].init.body as string).model).toBe('llama3.1:8b');
    expect((requests[0].init.headers as Record<string, string>).authorization).toBe('Bearer sk');
    await expect(createLanguageModel('openai:localhost:8000', {})).rejects.toMatchObject({ name: 'ConfigError' });
    await expect(createLanguageModel('openai:http://x/v1', { RLM_OPENAI_TIMEOUT_MS: 'soon' })).rejects.toThrow(/RLM_OPENAI_TIMEOUT_MS/);
  });

  it('scripted:<file> loads and validates the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlm-factory-'));
    try {
      const file = join(dir, 's.json');
      writeFileSync(file, JSON.stringify({ root: [{ code: 'FINAL("x")' }] }));
      const model = await createLanguageModel(`scripted:${file}`, {});
      expect(model).toBeInstanceOf(ScriptedModel);
      expect(model.description).toBe(`scripted:${file}`);
      writeFileSync(file, JSON.stringify({ root: [{ code: 1 }] }));
      await expect(createLanguageModel(`scripted:${file}`, {})).rejects.toThrow('root[0].code must be a string or array of strings');
      await expect(createLanguageModel('scripted:', {})).rejects.toMatchObject({ name: 'ConfigError' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown spec is a ConfigError listing the options', async () => {
    const err = (await createLanguageModel('gpt4', {}, { checkAwsCredentials: ok }).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain('unknown --llm "gpt4"');
    for (const part of ['--llm bedrock', '--llm openai', '--llm openai:URL', '--llm scripted:FILE']) expect(err.message).toContain(part);
  });
});
