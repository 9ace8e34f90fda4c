/** How the S3 adapters (the batch `ObjectStore` and the S3 `DocumentStore`) read S3 errors. */
import { DocumentStoreUnavailableError } from '../../core/errors';
import { AWS_NETWORK_ERROR_NAMES, awsErrorParts } from '../aws-errors';

/**
 * True when S3 says the object (or the version) does not exist: `NoSuchKey`, `NotFound` (HeadObject has
 * no error body), `NoSuchVersion`, or any other 404 except `NoSuchBucket`. A missing bucket is a
 * configuration problem, never "no such object".
 */
export function isMissingObject(err: unknown): boolean {
  const e = (err ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' ? e.name : '';
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion') return true;
  return e.$metadata?.httpStatusCode === 404 && name !== 'NoSuchBucket';
}

/** S3 error codes that mean "slow down" or "failed on our side, try again" (S3 error responses, XML `Code`). */
const S3_TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'OperationAborted',
]);

/**
 * True for an S3 failure that a later attempt may not see: S3's transient codes, any 5xx, a 503 throttle,
 * a dropped connection or a timeout. The SDK has already retried it (standard mode, 3 attempts) when it gets here.
 */
export function isTransientS3Error(err: unknown): boolean {
  const { name, code, status } = awsErrorParts(err);
  return S3_TRANSIENT_NAMES.has(name) || AWS_NETWORK_ERROR_NAMES.has(name) || AWS_NETWORK_ERROR_NAMES.has(code) || (status !== undefined && status >= 500);
}

/**
 * `DocumentStoreUnavailableError` (retried by the state machine) for a transient S3 failure of `what`
 * (e.g. `PutObject s3://bucket/key`); anything else is returned unchanged.
 */
export function mapTransientS3Error(err: unknown, what: string): unknown {
  if (!isTransientS3Error(err)) return err;
  const { name, code, status } = awsErrorParts(err);
  const message = err instanceof Error ? err.message : String(err);
  return new DocumentStoreUnavailableError(`S3 failed ${what} (${name || code || status}) after the client's retries: ${message}`, { cause: err });
}
