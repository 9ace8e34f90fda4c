/**
 * The one home of where things are: the bucket's prefixes, the keys of a run's artifacts below `results/`, and
 * the run-ID pattern. The stack's IAM boundaries (`lib/storage.ts`), the handlers, the batch and trigger steps,
 * the CLI's remote commands, the local state folder and the twin derive from here; `test/core/bucket-layout.test.ts`
 * fails when another file spells one of them out. Pure (no I/O).
 *
 * | key                                        | holds                                                      |
 * |--------------------------------------------|------------------------------------------------------------|
 * | `documents/...`                            | documents runs read (`documents/<runId>/` for `rlm submit`)|
 * | `inbox/<profile>/...`                      | documents dropped to trigger the watch profile's questions |
 * | `jobs/<name>.json`                         | a job manifest (one run per question)                      |
 * | `batches/pending/<name>.jsonl` ...         | batch manifests, work files and results (batch/layout.ts)  |
 * | `results/<runId>/result.json`              | the run's outcome (answer, stop reason, accounting)        |
 * | `results/<runId>/trajectory.json`          | every turn, cell and sub-call of the run                   |
 * | `results/<runId>/{outputs,subcalls,turns,steps}/...`, `answer.txt`, `documents.json` | what a run spills |
 */

/** Prefixes of the pipeline bucket (each ends in `/`). */
export const BUCKET_PREFIXES = {
  documents: 'documents/',
  inbox: 'inbox/',
  jobs: 'jobs/',
  batches: 'batches/',
  batchPending: 'batches/pending/',
  batchWork: 'batches/work/',
  batchResults: 'batches/results/',
  batchProcessed: 'batches/processed/',
  results: 'results/',
} as const;

/** The results folder's name without its slash: also the local state folder's (`.rlm/results/<runId>/`). */
export const RESULTS_FOLDER = BUCKET_PREFIXES.results.slice(0, -1);

/** File names of a run's two main artifacts. */
export const RUN_ARTIFACT_FILES = { result: 'result.json', trajectory: 'trajectory.json' } as const;

/** A main artifact of a run. */
export type RunArtifactFile = (typeof RUN_ARTIFACT_FILES)[keyof typeof RUN_ARTIFACT_FILES];

const turnTag = (turn: number) => `turn-${String(turn).padStart(4, '0')}`;

/**
 * Keys of a run's artifacts relative to the results prefix (what `DocumentStore.putArtifact` takes): the store
 * adds `results/` on S3 and `<stateDir>/results/` locally.
 */
export const RUN_ARTIFACT_KEYS = {
  result: (runId: string) => `${runId}/${RUN_ARTIFACT_FILES.result}`,
  trajectory: (runId: string) => `${runId}/${RUN_ARTIFACT_FILES.trajectory}`,
  /** The FINAL value when it is too large for the run item. */
  answer: (runId: string) => `${runId}/answer.txt`,
  /** The run's document list when it is too large for the run item. */
  documents: (runId: string) => `${runId}/documents.json`,
  /** A cell's full output when it is too large for the turn item. */
  cellOutput: (runId: string, turn: number, cell: number) => `${runId}/outputs/${turnTag(turn)}-cell-${cell}.txt`,
  /** A cell's sub-call records when they are too large for the turn item. */
  subCalls: (runId: string, turn: number, cell: number) => `${runId}/subcalls/${turnTag(turn)}-cell-${cell}.json`,
  /** A turn's body when it is too large for its item. */
  turn: (runId: string, turn: number) => `${runId}/turns/${turnTag(turn)}.json`,
  /** A step-log entry when it is too large for its item. */
  step: (runId: string, tag: string) => `${runId}/steps/${tag}.json`,
} as const;

/** Bucket key of a run's main artifact: `results/<runId>/result.json` (or under another results prefix). */
export function runArtifactObjectKey(runId: string, file: RunArtifactFile, resultsPrefix: string = BUCKET_PREFIXES.results): string {
  return `${resultsPrefix.replace(/\/?$/, '/')}${runId}/${file}`;
}

/** Prefix local documents are uploaded under by `rlm submit`: `documents/<runId>/`. */
export function uploadPrefixFor(runId: string): string {
  return `${BUCKET_PREFIXES.documents}${runId}/`;
}

/** Longest run ID (the Step Functions execution-name limit: a run's execution is named by its ID). */
export const MAX_RUN_ID_CHARS = 80;

/**
 * Run IDs a handler or store accepts: 1-80 of `[A-Za-z0-9_.:-]` (safe as an S3 key part, a DynamoDB key and a
 * folder name), not only dots.
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,80}$/;

/** Names the pipeline makes itself (execution names, batch IDs): the stricter `[A-Za-z0-9_-]`, at most 80. */
export const GENERATED_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/** True when `runId` is a run ID the pipeline accepts. */
export function isValidRunId(runId: unknown): runId is string {
  return typeof runId === 'string' && RUN_ID_PATTERN.test(runId) && !/^\.+$/.test(runId);
}

/** What a refused run ID is told (naming the rule). */
export function runIdProblem(runId: unknown): string {
  if (runId === undefined || runId === null || runId === '') return `runId is missing: it must be 1-${MAX_RUN_ID_CHARS} characters of letters, digits, "_", ".", ":" and "-"`;
  return `runId ${JSON.stringify(runId)} must be 1-${MAX_RUN_ID_CHARS} characters of letters, digits, "_", ".", ":" and "-" (not only dots)`;
}
