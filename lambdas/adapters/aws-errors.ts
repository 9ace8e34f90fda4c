/** What the AWS SDK adapters share about AWS errors. */

/**
 * SDK error names by which Bedrock Runtime and Bedrock AgentCore say "slow down" (rate or quota). The
 * adapters map them to their retryable throttled errors. DynamoDB has its own names (`dynamodb/errors.ts`).
 */
export const AWS_THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceQuotaExceededException',
]);

/**
 * Node socket codes and SDK error names by which any AWS client says "the request may not have reached the
 * service, or its answer was lost": a dropped or refused connection, a request or socket timeout.
 */
export const AWS_NETWORK_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * The SDK's retry middleware wraps a thrown value that is not an `Error` of its realm (e.g. a socket error
 * created in another V8 context) as `Error('AWS SDK error wrapper for <Name>: <message>')`: the name is recovered.
 */
const SDK_WRAPPER = /^AWS SDK error wrapper for (\w+)\b/;

/** `name`, `code` and HTTP status of an SDK error (or any thrown value); empty/undefined when absent. */
export function awsErrorParts(err: unknown): { name: string; code: string; status?: number } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const wrapped = e.name === 'Error' && typeof e.message === 'string' ? SDK_WRAPPER.exec(e.message)?.[1] : undefined;
  return {
    name: wrapped ?? (typeof e.name === 'string' ? e.name : ''),
    code: typeof e.code === 'string' ? e.code : '',
    ...(typeof e.$metadata?.httpStatusCode === 'number' ? { status: e.$metadata.httpStatusCode } : {}),
  };
}
