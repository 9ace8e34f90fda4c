/**
 * Errors of the DynamoDB conversation store, and the mapping from AWS SDK errors to them.
 * Conditional-check failures are mapped by the store itself (it knows which write lost).
 */
import { ConversationStoreError, ConversationStoreThrottledError, ConversationStoreUnavailableError } from '../../core/errors';

export { ConversationStoreThrottledError, ConversationStoreUnavailableError };

/**
 * A run or turn item does not fit in a DynamoDB item (400 KB) even after gzip. Never truncated silently:
 * the caller must move the large content elsewhere (e.g. an artifact) before writing.
 */
export class ConversationItemTooLargeError extends ConversationStoreError {}

/** A stored item does not have the shape this store writes (missing or mistyped attribute). */
export class CorruptConversationItemError extends ConversationStoreError {}

/** AWS error names that mean "throttled". */
const THROTTLING_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/** AWS error names (and Node socket codes) that mean "transient service or network failure". */
const UNAVAILABLE_NAMES = new Set([
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** `name` of an SDK error (or any thrown value), or `''`. */
export function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
}

/** True for the SDK's `ConditionalCheckFailedException`. */
export function isConditionalCheckFailed(err: unknown): boolean {
  return errorName(err) === 'ConditionalCheckFailedException';
}

/**
 * Map an SDK error to a named store error where one applies (throttling, item too large); anything else
 * is returned unchanged. `what` describes the operation for the message, e.g. `putTurn run-1 #3`.
 */
export function mapDynamoError(err: unknown, what: string): unknown {
  const name = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  if (THROTTLING_NAMES.has(name)) {
    return new ConversationStoreThrottledError(`DynamoDB throttled ${what} (${name}): ${message}`, { cause: err });
  }
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  if (UNAVAILABLE_NAMES.has(name) || UNAVAILABLE_NAMES.has(code) || (status !== undefined && status >= 500)) {
    return new ConversationStoreUnavailableError(`DynamoDB failed ${what} (${name || code}): ${message}`, { cause: err });
  }
  if (name === 'ValidationException' && /item size/i.test(message)) {
    return new ConversationItemTooLargeError(`${what}: item exceeds the DynamoDB item size limit: ${message}`, {
      cause: err,
    });
  }
  return err;
}
