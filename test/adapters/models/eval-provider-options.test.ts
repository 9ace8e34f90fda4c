/** `ModelRequest.providerOptions` reaches Bedrock as `additionalModelRequestFields` (the eval harness's 1M-token window). */
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { BedrockConverseModel, toConverseInput } from '../../../lambdas/adapters/models/bedrock-model';
import type { ModelRequest } from '../../../lambdas/core/ports';

const request = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  role: 'root',
  modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
  ...extra,
});

describe('providerOptions on Bedrock', () => {
  it('is sent as additionalModelRequestFields', async () => {
    const mock = mockClient(BedrockRuntimeClient);
    mock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: 'The correct answer is (A)' }] } },
      stopReason: 'end_turn', usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 },
    } as never);
    const model = new BedrockConverseModel({ client: new BedrockRuntimeClient({ region: 'us-east-1' }) });
    await model.converse(request({ providerOptions: { anthropic_beta: ['context-1m-2025-08-07'] } }));
    const input = mock.commandCalls(ConverseCommand)[0].args[0].input;
    expect(input.additionalModelRequestFields).toEqual({ anthropic_beta: ['context-1m-2025-08-07'] });
    mock.restore();
  });

  it('is left out when absent or empty (requests stay as before)', () => {
    expect(toConverseInput(request())).not.toHaveProperty('additionalModelRequestFields');
    expect(toConverseInput(request({ providerOptions: {} }))).not.toHaveProperty('additionalModelRequestFields');
  });
});
