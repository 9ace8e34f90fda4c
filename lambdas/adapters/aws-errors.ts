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

/** `name`, `code` and HTTP status of an SDK error (or any thrown value); empty/undefined when absent. */
export function awsErrorParts(err: unknown): { name: string; code: string; status?: number } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  return {
    name: typeof e.name === 'string' ? e.name : '',
    code: typeof e.code === 'string' ? e.code : '',
    ...(typeof e.$metadata?.httpStatusCode === 'number' ? { status: e.$metadata.httpStatusCode } : {}),
  };
}
