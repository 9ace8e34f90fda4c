/**
 * Errors of the DynamoDB conversation store, and the mapping from AWS SDK errors to them.
 * Conditional-check failures are mapped by the store itself (it knows which write lost).
 */
import { ConversationStoreError, ConversationStoreThrottledError, ConversationStoreUnavailableError } from '../../core/errors';
import { AWS_NETWORK_ERROR_NAMES, awsErrorParts } from '../aws-errors';

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

/**
 * DynamoDB's names of a transient service failure; with the network names every AWS client shares
 * (`AWS_NETWORK_ERROR_NAMES`, also Node socket codes) they mean "transient service or network failure".
 */
const DYNAMO_UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** True for a transient DynamoDB failure: a service 5xx name, any 5xx status, a dropped connection or timeout. */
function isUnavailable(err: unknown): boolean {
  const { name, code, status } = awsErrorParts(err);
  return DYNAMO_UNAVAILABLE_NAMES.has(name) || AWS_NETWORK_ERROR_NAMES.has(name) || AWS_NETWORK_ERROR_NAMES.has(code) || (status !== undefined && status >= 500);
}

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
  const { name, code } = awsErrorParts(err);
  const message = err instanceof Error ? err.message : String(err);
  if (THROTTLING_NAMES.has(name)) {
    return new ConversationStoreThrottledError(`DynamoDB throttled ${what} (${name}): ${message}`, { cause: err });
  }
  if (isUnavailable(err)) {
    return new ConversationStoreUnavailableError(`DynamoDB failed ${what} (${name || code}): ${message}`, { cause: err });
  }
  if (name === 'ValidationException' && /item size/i.test(message)) {
    return new ConversationItemTooLargeError(`${what}: item exceeds the DynamoDB item size limit: ${message}`, {
      cause: err,
    });
  }
  return err;
}
