/**
 * Model adapters and the factory that turns an `--llm` spec into a `LanguageModel`.
 *
 * The Bedrock adapter (and the AWS SDK under it) loads only when `--llm bedrock` is chosen: a local run
 * against an OpenAI-compatible server or a script starts without it. Import `BedrockConverseModel` from
 * `./bedrock-model`.
 */
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { ConfigError, ModelNotConfiguredError } from '../../core/errors';
import type { LanguageModel } from '../../core/ports';
import { OpenAICompatibleModel } from './openai-model';
import { loadScript, ScriptedModel } from './scripted-model';

export { DEFAULT_MODEL_TIMEOUT_MS, OpenAICompatibleModel, resolveOpenAIModel } from './openai-model';
export { DEFAULT_RETRY_POLICY, RetryingModel, isRetryableModelError } from './retrying-model';
export { loadScript, validateScript, ScriptedModel, type Script } from './scripted-model';
export { RecordingModel } from './recording-model';

/** The `--llm` choices, as shown in errors and help. */
export const LLM_OPTIONS_HELP = [
  '  --llm bedrock          Amazon Bedrock (needs AWS credentials, a region and Bedrock model access)',
  '  --llm openai           an OpenAI-compatible server (set RLM_OPENAI_BASE_URL or OPENAI_BASE_URL, RLM_OPENAI_MODEL, and OPENAI_API_KEY if the server needs one)',
  '  --llm openai:URL       the same with the base URL given inline, e.g. openai:http://127.0.0.1:11434/v1',
  '  --llm scripted:FILE    replies from a scripted/replay JSON file (offline; see docs/scripted-models.md)',
].join('\n');

/** Dependencies of {@link createLanguageModel}, injectable for tests. */
export interface ModelFactoryDeps {
  /**
   * Resolves when AWS credentials and a region are available, throws otherwise. Default: build a
   * Bedrock client and resolve its `config.region()` and `config.credentials()` (the SDK's default
   * Node provider chain: env, SSO, shared files, process, web identity, container/instance metadata).
   */
  checkAwsCredentials?: (client: BedrockRuntimeClient) => Promise<void>;
  /** Client for `bedrock` (default: a new client in `AWS_REGION`/`AWS_DEFAULT_REGION` or the SDK default). */
  bedrockClient?: BedrockRuntimeClient;
  /** `fetch` for `openai` models. */
  fetchImpl?: typeof fetch;
}

/** Default credential check: the client's own provider chain and region. */
export async function defaultAwsCredentialCheck(client: BedrockRuntimeClient): Promise<void> {
  const region = await client.config.region();
  if (!region) throw new Error('no AWS region configured (set AWS_REGION)');
  const credentials = await client.config.credentials();
  if (!credentials?.accessKeyId) throw new Error('the credential provider returned no access key');
}

function notConfigured(why: string, cause?: unknown): ModelNotConfiguredError {
  return new ModelNotConfiguredError(`${why}\nChoose a model with one of:\n${LLM_OPTIONS_HELP}`, { cause });
}

function positiveInt(env: NodeJS.ProcessEnv, key: string): number | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${key} must be a positive integer, got "${raw}"`);
  return n;
}

function openAIModel(baseUrl: string, env: NodeJS.ProcessEnv, deps: ModelFactoryDeps): LanguageModel {
  if (!/^https?:\/\//i.test(baseUrl)) {
    throw new ConfigError(`OpenAI-compatible base URL must start with http:// or https://, got "${baseUrl}"`);
  }
  return new OpenAICompatibleModel({
    baseUrl,
    apiKey: env.RLM_OPENAI_API_KEY || env.OPENAI_API_KEY || undefined,
    model: env.RLM_OPENAI_MODEL || undefined,
    fetchImpl: deps.fetchImpl,
    timeoutMs: positiveInt(env, 'RLM_OPENAI_TIMEOUT_MS'),
  });
}

/**
 * Build a `LanguageModel` from an `--llm` spec:
 * - `bedrock` — Bedrock Converse; checks first that AWS credentials resolve, else `ModelNotConfiguredError`;
 *   per-call timeout from `RLM_BEDROCK_TIMEOUT_MS`;
 * - `openai` — base URL from `RLM_OPENAI_BASE_URL` or `OPENAI_BASE_URL`, model from `RLM_OPENAI_MODEL`,
 *   key from `RLM_OPENAI_API_KEY` or `OPENAI_API_KEY`, timeout from `RLM_OPENAI_TIMEOUT_MS`;
 * - `openai:<baseUrl>` — the same with the base URL inline;
 * - `scripted:<file>` — a scripted/replay file, validated on load.
 * Any other spec throws `ConfigError` listing the options. Async because of the credential check.
 */
export async function createLanguageModel(
  spec: string,
  env: NodeJS.ProcessEnv = process.env,
  deps: ModelFactoryDeps = {},
): Promise<LanguageModel> {
  const s = spec.trim();
  if (s === 'bedrock') {
    const { BedrockRuntimeClient } = require('@aws-sdk/client-bedrock-runtime') as typeof import('@aws-sdk/client-bedrock-runtime');
    const { BedrockConverseModel } = require('./bedrock-model') as typeof import('./bedrock-model');
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
    const client = deps.bedrockClient ?? new BedrockRuntimeClient(region ? { region } : {});
    try {
      await (deps.checkAwsCredentials ?? defaultAwsCredentialCheck)(client);
    } catch (err) {
      throw notConfigured(`--llm bedrock needs AWS credentials and a region, and none resolved (${(err as Error)?.message ?? String(err)}).`, err);
    }
    return new BedrockConverseModel({ client, timeoutMs: positiveInt(env, 'RLM_BEDROCK_TIMEOUT_MS') });
  }
  if (s === 'openai') {
    const baseUrl = env.RLM_OPENAI_BASE_URL || env.OPENAI_BASE_URL;
    if (!baseUrl) throw notConfigured('--llm openai needs RLM_OPENAI_BASE_URL or OPENAI_BASE_URL (and RLM_OPENAI_MODEL).');
    return openAIModel(baseUrl, env, deps);
  }
  if (s.startsWith('openai:')) return openAIModel(s.slice('openai:'.length), env, deps);
  if (s.startsWith('scripted:')) {
    const file = s.slice('scripted:'.length);
    if (!file) throw new ConfigError(`--llm scripted:FILE needs a file path\n${LLM_OPTIONS_HELP}`);
    return new ScriptedModel(loadScript(file), { source: file });
  }
  throw new ConfigError(`unknown --llm "${spec}"; the options are:\n${LLM_OPTIONS_HELP}`);
}
