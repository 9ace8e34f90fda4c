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
