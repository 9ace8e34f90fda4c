/** How the S3 adapters (the batch `ObjectStore` and the S3 `DocumentStore`) read S3 errors. */

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
