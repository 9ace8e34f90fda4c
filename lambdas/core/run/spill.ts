/**
 * The byte budget of stored items, and spilling what exceeds it to artifacts (`DocumentStore.putArtifact`:
 * S3 on AWS, files locally) with pointers, so no turn fails for its size and each output is stored once.
 *
 * - a cell's full output over `FULL_OUTPUT_INLINE_BYTES`: artifact `outputs/turn-NNNN-cell-N.txt`, the
 *   record keeps a short head/tail preview (the model-visible copy is `modelOutput`, bounded by config);
 * - a cell's sub-call records over `SUB_RECORDS_INLINE_BYTES`: artifact `subcalls/turn-NNNN-cell-N.json`;
 * - a FINAL answer over `ANSWER_INLINE_BYTES`: artifact `answer.txt`, one copy shared by the cell, the
 *   turn's outcome and the run item (each keeps a preview and the URI);
 * - whatever is still over `ITEM_BYTE_BUDGET` (a turn, a cell step, the run's document list): the whole
 *   record as a JSON artifact, the item keeps metadata and the URI. `loadTurns` / `loadRun` read them back.
 */
import type { EngineDeps } from '../engine-deps';
import type { CellRecord, RunRecord, TurnRecord } from '../types';
import { truncateMiddle } from '../truncate';
import { RUN_ARTIFACT_KEYS } from '../bucket-layout';
import { writeWithRetries } from './write-retries';

/** Largest JSON (UTF-8 bytes) core hands the store as one item; DynamoDB's item limit is 400 KB. */
export const ITEM_BYTE_BUDGET = 300 * 1024;
/** A cell's full output above this many bytes goes to an artifact. */
export const FULL_OUTPUT_INLINE_BYTES = 32 * 1024;
/** Characters of a spilled full output kept in the record as a preview. */
export const SPILLED_OUTPUT_PREVIEW_CHARS = 2_000;
/** A cell's sub-call records above this many JSON bytes go to an artifact. */
export const SUB_RECORDS_INLINE_BYTES = 32 * 1024;
/** An answer above this many bytes goes to an artifact. */
export const ANSWER_INLINE_BYTES = 16 * 1024;
/** Characters of a spilled answer kept inline as a preview. */
export const ANSWER_PREVIEW_CHARS = 2_000;

/** UTF-8 length of `text` without allocating a buffer. */
export function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; }
    else n += 3;
  }
  return n;
}


/** Artifact key of a cell's spilled full output. */
export function outputKey(runId: string, turn: number, cell: number): string {
  return RUN_ARTIFACT_KEYS.cellOutput(runId, turn, cell);
}

/** Write an artifact, retried in-process on `DocumentStoreUnavailableError` (the same key each time). */
function putArtifact(deps: EngineDeps, key: string, body: string, contentType: string): Promise<string> {
  let uri = '';
  return writeWithRetries(async () => {
    uri = await deps.documents.putArtifact(key, body, contentType);
  }).then(() => uri);
}

/** Spill the large parts of a cell record (full output, sub-call records, FINAL value); returns the record to store. */
export async function spillCell(deps: EngineDeps, runId: string, turn: number, cell: number, record: CellRecord): Promise<CellRecord> {
  const out: CellRecord = { ...record, result: { ...record.result, sub: { ...record.result.sub } } };
  if (utf8Bytes(record.fullOutput) > FULL_OUTPUT_INLINE_BYTES) {
    out.fullOutputUri = await putArtifact(deps, outputKey(runId, turn, cell), record.fullOutput, 'text/plain; charset=utf-8');
    out.fullOutput = truncateMiddle(record.fullOutput, SPILLED_OUTPUT_PREVIEW_CHARS);
  }
  const records = record.result.sub.records;
  if (records.length) {
    const json = JSON.stringify(records);
    if (utf8Bytes(json) > SUB_RECORDS_INLINE_BYTES) {
      out.result.sub.recordsUri = await putArtifact(deps, RUN_ARTIFACT_KEYS.subCalls(runId, turn, cell), json, 'application/json');
      out.result.sub.records = [];
    }
  }
  const final = record.result.final;
  if (final && utf8Bytes(final.value) > ANSWER_INLINE_BYTES) {
    const valueUri = await putArtifact(deps, RUN_ARTIFACT_KEYS.answer(runId), final.value, 'text/plain; charset=utf-8');
    out.result.final = { ...final, value: truncateMiddle(final.value, ANSWER_PREVIEW_CHARS), valueUri };
  }
  return out;
}

/** When a whole record is still over the budget, write it as an artifact and return its URI (else undefined). */
export async function spillIfOverBudget(deps: EngineDeps, key: string, value: unknown, budget = ITEM_BYTE_BUDGET): Promise<string | undefined> {
  const json = JSON.stringify(value);
  if (utf8Bytes(json) <= budget) return undefined;
  return putArtifact(deps, key, json, 'application/json');
}

/** The turn as the store should hold it: the whole record, or metadata plus `bodyUri` when over the budget. */
export async function storableTurn(deps: EngineDeps, turn: TurnRecord): Promise<TurnRecord> {
  const bodyUri = await spillIfOverBudget(deps, RUN_ARTIFACT_KEYS.turn(turn.runId, turn.index), turn);
  if (!bodyUri) return turn;
  const { cells: _c, replyText: _r, feedback: _f, ...meta } = turn;
  return { ...meta, replyText: truncateMiddle(turn.replyText, ANSWER_PREVIEW_CHARS), cells: [], bodyUri };
}

/** Read a JSON artifact written by this module. */
export async function readJsonArtifact<T>(deps: EngineDeps, uri: string): Promise<T> {
  return JSON.parse(await deps.documents.readText(uri)) as T;
}

/** A stored turn made whole: spilled body and answer read back. Cell outputs and sub-call records stay pointers. */
export async function hydrateTurn(deps: EngineDeps, stored: TurnRecord): Promise<TurnRecord> {
  const turn = stored.bodyUri ? { ...(await readJsonArtifact<TurnRecord>(deps, stored.bodyUri)), bodyUri: stored.bodyUri } : stored;
  if (turn.outcome?.answerUri) turn.outcome = { ...turn.outcome, answer: await deps.documents.readText(turn.outcome.answerUri) };
  return turn;
}

/** The run's turns, whole (see `hydrateTurn`). */
export async function loadTurns(deps: EngineDeps, runId: string): Promise<TurnRecord[]> {
  const stored = await deps.store.listTurns(runId);
  const out: TurnRecord[] = [];
  for (const t of stored) out.push(await hydrateTurn(deps, t));
  return out;
}

/** The run item made whole: a spilled document list and answer read back. */
export async function loadRun(deps: EngineDeps, runId: string): Promise<RunRecord> {
  const run = await deps.store.getRun(runId);
  if (run.documentsUri) run.documents = await readJsonArtifact(deps, run.documentsUri);
  if (run.answerUri) run.answer = await deps.documents.readText(run.answerUri);
  return run;
}

/** A run's document list above this many JSON bytes goes to an artifact (the run item holds more fields). */
export const DOCUMENTS_INLINE_BYTES = 64 * 1024;

/** The run item as the store should hold it: a long document list spilled. */
export async function storableRun(deps: EngineDeps, run: RunRecord): Promise<RunRecord> {
  const documentsUri = await spillIfOverBudget(deps, RUN_ARTIFACT_KEYS.documents(run.runId), run.documents, DOCUMENTS_INLINE_BYTES);
  return documentsUri ? { ...run, documents: [], documentsUri } : run;
}
