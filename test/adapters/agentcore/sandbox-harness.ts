/**
 * Shared set-up of the AgentCore adapter tests at the SDK boundary (aws-sdk-client-mock): the mocked client,
 * start options, a sandbox factory, and a queue of InvokeCodeInterpreter answers consumed in order.
 * Call {@link installInvokeQueue} once per test file (it registers the hooks).
 */
import {
  BedrockAgentCoreClient,
  InvokeCodeInterpreterCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
  type InvokeCodeInterpreterCommandOutput,
} from '@aws-sdk/client-bedrock-agentcore';
import { mockClient } from 'aws-sdk-client-mock';
import { AgentCoreSandbox } from '../../../lambdas/adapters/agentcore';
import type { SandboxStartOptions } from '../../../lambdas/core/ports';
import { invokeOutput, resultEvent, setupStdout, TEST_NONCE } from './stream-fixtures';

/** The mocked AgentCore client (every `BedrockAgentCoreClient` of the test file). */
export const mock = mockClient(BedrockAgentCoreClient);

/** Start options of a run with two documents. */
export const START_OPTIONS: SandboxStartOptions = {
  runId: 'run_2025-01-01T00:00:00Z/ä',
  documents: [
    { name: 'logs/app.log', uri: 's3://in-bucket/runs/x/logs/app.log', chars: 100 },
    { name: 'notes.md', uri: 's3://in-bucket/runs/x/notes.md', chars: 20 },
  ],
  subModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  subConcurrency: 8,
  maxCaptureChars: 50_000,
};

/** A sandbox on the mocked client (timeout cap 3600 s, the pinned nonce). */
export function sandbox(overrides: Partial<ConstructorParameters<typeof AgentCoreSandbox>[0]> = {}): AgentCoreSandbox {
  return new AgentCoreSandbox({
    client: new BedrockAgentCoreClient({ region: 'us-east-1' }),
    codeInterpreterId: 'rlm_ci-AbC123',
    region: 'us-west-2',
    sessionTimeoutSeconds: 3600,
    cellNonce: () => TEST_NONCE,
    ...overrides,
  });
}

/** Start and Stop answer for `sessionId`. */
export function mockStart(sessionId = 's-1'): void {
  mock.on(StartCodeInterpreterSessionCommand).resolves({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId, createdAt: new Date() });
  mock.on(StopCodeInterpreterSessionCommand).resolves({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId, lastUpdatedAt: new Date() });
}

/** InvokeCodeInterpreter answers, consumed in order (an Error is thrown by `send`). */
export const invokeQueue: Array<InvokeCodeInterpreterCommandOutput | Error> = [];
/** Queue InvokeCodeInterpreter answers. */
export function queueInvoke(...items: Array<InvokeCodeInterpreterCommandOutput | Error>): void {
  invokeQueue.push(...items);
}

/** Queue a setup call that reports both documents loaded. */
export function mockSetupOk(): void {
  queueInvoke(invokeOutput([resultEvent(setupStdout([{ name: 'logs/app.log', chars: 97 }, { name: 'notes.md', chars: 19 }], '===== DOCUMENT 1/2', 210))]));
}

/** A started session `s-1` of the default sandbox. */
export async function startedSession() {
  mockStart();
  mockSetupOk();
  return (await sandbox().start(START_OPTIONS)).session;
}

/** The embedded configuration of a rendered setup script. */
export function embeddedConfig(code: string): Record<string, unknown> {
  const m = /_rlm_setup_cfg = _rlm_json\.loads\(__import__\('base64'\)\.b64decode\('([A-Za-z0-9+/=]+)'\)/.exec(code);
  if (!m) throw new Error('no embedded config');
  return JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as Record<string, unknown>;
}

/** Reset the mock before each test and answer InvokeCodeInterpreter from {@link invokeQueue}. */
export function installInvokeQueue(): void {
  beforeEach(() => {
    mock.reset();
    invokeQueue.length = 0;
    mock.on(InvokeCodeInterpreterCommand).callsFake(async () => {
      const next = invokeQueue.shift();
      if (!next) throw new Error('unexpected InvokeCodeInterpreter call');
      if (next instanceof Error) throw next;
      return next;
    });
  });
  afterAll(() => mock.restore());
}
