/**
 * The data a run page embeds (as JSON, rendered lazily in the browser), with every text bounded so a
 * 200-turn / 10,000-sub-call run stays a file of bounded size: long texts keep head and tail and say
 * how much of them the report leaves out.
 */
import type { PriceTable } from '../../lambdas/core/pricing';
import type { CellRecord, SubCallRecord, TurnRecord } from '../../lambdas/core/types';
import { buildDocumentMap, DocumentLocator, rangesOf, readLocalDocuments, type DocumentMap, type DrawnRange } from './document-map';
import type { LoadedRun } from './run-data';
import { cellErrorType, configOf, overviewOf, turnRows, type RunOverview, type TurnRow } from './run-model';

/** Characters of sub-call prompts and replies the page may embed in all. */
export const SUB_TEXT_BUDGET = 3_000_000;
/** Characters of code, prose and outputs the page may embed in all. */
export const TURN_TEXT_BUDGET = 2_000_000;

/** Cut `text` to `max` characters keeping head and tail, with a visible marker (a short one with `brief`). */
export function bound(text: string, max: number, brief = false): string {
  if (text.length <= max) return text;
  const head = Math.ceil(max * 0.7);
  const tail = Math.max(0, max - head);
  const omitted = (text.length - head - tail).toLocaleString('en-US');
  const marker = brief ? `[… ${omitted} characters not shown …]` : `[… ${omitted} characters not shown in this report (${text.length.toLocaleString('en-US')} in all; the full text is in trajectory.json) …]`;
  return `${text.slice(0, head)}\n${marker}\n${tail ? text.slice(text.length - tail) : ''}`;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.floor(x)));

/** One sub-call as the page shows it. */
export interface SubCallView {
  n: number; model: string; promptChars: number; responseChars: number;
  prompt: string; response: string;
  /** Only the 200-character preview of the prompt / the reply was recorded, and the text was longer. */
  promptCut: boolean;
  responseCut: boolean;
  inputTokens: number; outputTokens: number; durationMs: number;
  error?: string; truncated?: boolean;
  ranges: DrawnRange[];
}

/** Sub-calls of one `llm_query_batched` call (or the single `llm_query` calls, batch 0). */
export interface BatchView { id: number; size: number; calls: SubCallView[] }

/** A cell as the page shows it. */
export interface CellView {
  code: string; modelOutput: string; fullOutput: string; fullOutputUri?: string;
  outputsDiffer: boolean; raised: boolean; timedOut: boolean; errorType?: string;
  durationMs: number; final?: string; notices: string[]; capReached?: string;
  sub: { calls: number; errors: number; inputTokens: number; outputTokens: number; recorded: number };
  batches: BatchView[];
}

/** A turn as the page shows it. */
export interface TurnView extends TurnRow {
  startedAt: string; replyText: string; feedback?: string; cellsView: CellView[]; answer?: string | null; detail?: string;
}

/** Where and why a failed run failed, as far as the records tell. */
export interface FailureView { where: string; why: string }

/** Everything the run page embeds. */
export interface RunPayload {
  overview: RunOverview;
  config: Record<string, unknown>;
  documents: Array<{ name: string; uri: string; chars: number }>;
  problems: string[];
  turns: TurnView[];
  documentMap: DocumentMap;
  failure?: FailureView;
  generatedAt: string;
}

function batchesOf(records: SubCallRecord[], cap: number, ranges: DrawnRange[][], first: number): BatchView[] {
  const byId = new Map<number, BatchView>();
  records.forEach((r, i) => {
    const id = r.batch?.id ?? 0;
    let b = byId.get(id);
    if (!b) { b = { id, size: r.batch?.size ?? 0, calls: [] }; byId.set(id, b); }
    b.calls.push({
      n: r.batch ? r.batch.index : b.calls.length, model: r.model, promptChars: r.promptChars, responseChars: r.responseChars,
      prompt: bound(r.prompt ?? r.promptPreview, cap, true), response: bound(r.response ?? r.responsePreview, cap, true),
      promptCut: r.prompt === undefined && r.promptChars > r.promptPreview.length,
      responseCut: r.response === undefined && r.responseChars > r.responsePreview.length,
      inputTokens: r.inputTokens, outputTokens: r.outputTokens, durationMs: r.durationMs,
      ...(r.error ? { error: r.error } : {}), ...(r.truncated ? { truncated: true } : {}),
      ranges: (ranges[first + i] ?? []).slice(0, 8),
    });
  });
  for (const b of byId.values()) { b.calls.sort((x, y) => x.n - y.n); if (!b.size) b.size = b.calls.length; }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function cellView(cell: CellRecord, caps: { text: number; sub: number }, ranges: DrawnRange[][], first: number): CellView {
  const r = cell.result;
  const errorType = cellErrorType(cell);
  return {
    code: bound(cell.code, caps.text), modelOutput: bound(cell.modelOutput, caps.text), fullOutput: bound(cell.fullOutput, caps.text),
    ...(cell.fullOutputUri ? { fullOutputUri: cell.fullOutputUri } : {}),
    outputsDiffer: !cell.modelOutput.startsWith(cell.fullOutput) || cell.fullOutput.length > cell.modelOutput.length,
    raised: r.raised, timedOut: r.timedOut, ...(errorType ? { errorType } : {}), durationMs: r.durationMs,
    ...(r.final ? { final: bound(r.final.value, caps.text) } : {}), notices: r.notices ?? [],
    ...(r.capReached ? { capReached: r.capReached } : {}),
    sub: { calls: r.sub.calls, errors: r.sub.errors, inputTokens: r.sub.inputTokens, outputTokens: r.sub.outputTokens, recorded: r.sub.records.length },
    batches: batchesOf(r.sub.records, caps.sub, ranges, first),
  };
}

function failureOf(loaded: LoadedRun, o: RunOverview): FailureView | undefined {
  if (o.status !== 'failed') return undefined;
  const last: TurnRecord | undefined = loaded.turns[loaded.turns.length - 1];
  const why = o.error ? `${o.error.name}: ${o.error.message}` : o.stopDetail ?? 'the run failed without a recorded error';
  if (!last) return { where: 'before the first turn was recorded (while starting the run)', why };
  const badCell = last.cells.findIndex((c) => c.result.raised || c.result.timedOut);
  const cellNote = badCell >= 0 ? `; its cell ${badCell + 1} raised ${cellErrorType(last.cells[badCell])}` : '';
  return { where: `after turn ${last.index} of ${loaded.turns.length} recorded (during turn ${last.index + 1} or its recording)${cellNote}`, why };
}

/** Build the page data of a run. */
export function buildRunPayload(loaded: LoadedRun, prices?: PriceTable): RunPayload {
  const overview = overviewOf(loaded, prices);
  const rows = turnRows(loaded, prices);
  const records = loaded.turns.flatMap((t) => t.cells.flatMap((c) => c.result.sub.records));
  const cellCount = loaded.turns.reduce((n, t) => n + t.cells.length, 0);
  const caps = {
    text: clamp(TURN_TEXT_BUDGET / Math.max(1, cellCount * 3 + loaded.turns.length), 2_000, 200_000),
    sub: clamp(SUB_TEXT_BUDGET / Math.max(1, records.length * 2), 200, 100_000),
  };
  const docs = loaded.run?.documents ?? [];
  const read = readLocalDocuments(docs);
  let ranges: DrawnRange[][] = [];
  let documentMap: DocumentMap;
  if ('texts' in read) {
    const locator = new DocumentLocator(read.texts);
    ranges = records.map((r) => rangesOf(locator, r));
    documentMap = buildDocumentMap(docs, locator, ranges);
  } else {
    documentMap = { available: false, reason: read.reason, documents: [], located: 0, probed: 0 };
  }
  let first = 0;
  const turns: TurnView[] = loaded.turns.map((turn, i) => {
    const cellsView = turn.cells.map((c) => {
      const v = cellView(c, caps, ranges, first);
      first += c.result.sub.records.length;
      return v;
    });
    return {
      ...rows[i], startedAt: turn.startedAt, replyText: bound(turn.replyText, caps.text),
      ...(turn.feedback ? { feedback: bound(turn.feedback, caps.text) } : {}), cellsView,
      ...(turn.outcome ? { answer: turn.outcome.answer, ...(turn.outcome.detail ? { detail: turn.outcome.detail } : {}) } : {}),
    };
  });
  const failure = failureOf(loaded, overview);
  return {
    overview: { ...overview, ...(overview.answer !== null ? { answer: bound(overview.answer, 200_000) } : {}) },
    config: { ...configOf(loaded) },
    documents: docs.map((d) => ({ name: d.name, uri: d.uri, chars: d.chars })),
    problems: loaded.problems, turns, documentMap, ...(failure ? { failure } : {}),
    generatedAt: new Date().toISOString(),
  };
}
