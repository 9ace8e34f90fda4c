/** Named errors of triggers and batches (Step Functions Catch and logs match on `name`). */
import { RlmError } from '../errors';

/**
 * A job manifest, batch manifest line or watch-folder configuration is invalid. `reasons` lists every
 * problem found (not just the first), as written to the failure record.
 */
export class ManifestError extends RlmError {
  readonly reasons: string[];

  constructor(reasons: string[], options?: { cause?: unknown }) {
    super(reasons.join('; '), options);
    this.reasons = reasons;
  }
}

/** An S3 event or scheduler input this pipeline does not handle (wrong bucket, wrong shape). */
export class TriggerEventError extends RlmError {}

/** A batch step found the bucket in a state it cannot continue from (manifest gone, work files missing). */
export class BatchStateError extends RlmError {}

/** An object is larger than the step reads (manifests have size limits). */
export class ObjectTooLargeError extends RlmError {}
