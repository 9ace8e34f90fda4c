/**
 * Counting a prompt's tokens before sending it: Bedrock `CountTokens` (free, exact for the model) where
 * the model supports it, else nothing (the caller falls back to the documented estimate).
 */
import { BedrockRuntimeClient, CountTokensCommand } from '@aws-sdk/client-bedrock-runtime';
import { toConverseInput } from '../../lambdas/adapters/models/bedrock-model';
import type { ModelRequest } from '../../lambdas/core/ports';

/** Counts the input tokens of a request; `undefined` when the provider cannot count it. */
export type TokenCounter = (request: ModelRequest) => Promise<number | undefined>;

/**
 * The foundation-model ID CountTokens expects: inference profiles (`us.`, `eu.`, `apac.`, `global.`...)
 * and ARNs are reduced to the base model ID, e.g. `us.anthropic.claude-sonnet-4-5-20250929-v1:0` ->
 * `anthropic.claude-sonnet-4-5-20250929-v1:0`.
 */
export function countTokensModelId(modelId: string): string {
  const last = modelId.startsWith('arn:') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
  return last.replace(/^(us|eu|apac|global|us-gov|jp|au|ca)\./, '');
}

/** Errors after which CountTokens is not tried again for the model (it is not supported or not allowed). */
const PERMANENT = new Set(['ValidationException', 'AccessDeniedException', 'ResourceNotFoundException', 'UnknownOperationException']);

/**
 * A {@link TokenCounter} over Bedrock CountTokens (Converse form, with the same system, messages and
 * `additionalModelRequestFields` as the real call). A model that refuses counting is remembered and not
 * asked again; `onUnavailable` hears why once per model.
 */
export function bedrockTokenCounter(client: BedrockRuntimeClient, onUnavailable?: (modelId: string, reason: string) => void): TokenCounter {
  const unsupported = new Set<string>();
  return async (request) => {
    const modelId = countTokensModelId(request.modelId);
    if (unsupported.has(modelId)) return undefined;
    const input = toConverseInput(request);
    try {
      const out = await client.send(new CountTokensCommand({
        modelId,
        input: {
          converse: {
            messages: input.messages,
            ...(input.system ? { system: input.system } : {}),
            ...(input.additionalModelRequestFields ? { additionalModelRequestFields: input.additionalModelRequestFields } : {}),
          },
        },
      }));
      return typeof out.inputTokens === 'number' ? out.inputTokens : undefined;
    } catch (err) {
      const name = (err as Error)?.name ?? 'Error';
      if (PERMANENT.has(name)) {
        unsupported.add(modelId);
        onUnavailable?.(modelId, `${name}: ${(err as Error)?.message ?? ''}`);
      }
      return undefined;
    }
  };
}
