/** What the trigger and batch handlers need from the outside (S3 objects, Step Functions executions). */

/** Outcome of starting an execution. */
export type StartOutcome = 'started' | 'already-started';

/** Starts executions of the run state machine. */
export interface ExecutionStarter {
  /**
   * Start an execution named `name` (the run ID) with `input`. Resolves `already-started` when an
   * execution of that name exists (a duplicate event), never throwing for it.
   */
  start(name: string, input: unknown): Promise<StartOutcome>;
}

/** An object read from the bucket. */
export interface StoredObject {
  key: string;
  text: string;
  etag?: string;
  versionId?: string;
}

/** An object listed under a prefix. */
export interface ListedObject {
  key: string;
  size: number;
  etag?: string;
  lastModified?: string;
}

/** The pipeline bucket, as the trigger and batch handlers use it. */
export interface ObjectStore {
  /** Read a text object (a version when given); undefined when it does not exist. Throws beyond `maxBytes`. */
  getText(key: string, options?: { versionId?: string; maxBytes?: number }): Promise<StoredObject | undefined>;
  /** True when the object exists. */
  exists(key: string): Promise<boolean>;
  putText(key: string, body: string, contentType?: string): Promise<void>;
  /** Every object under `prefix` (all pages), sorted by key. */
  list(prefix: string): Promise<ListedObject[]>;
  /** Copy then delete. Resolves false when `from` no longer exists (already moved). */
  move(from: string, to: string): Promise<boolean>;
}
