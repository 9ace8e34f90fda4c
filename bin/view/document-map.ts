/**
 * The document map: which documents, and which character ranges of them, sub-call prompts drew from.
 * Told by locating the prompts' lines in the documents (when they are readable on this machine): a line
 * of at least MIN_LINE characters that occurs exactly once in the documents pins its position; hits of one
 * prompt close together make a range. Prompts that are not made of whole document lines cannot be placed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DocumentRef, SubCallRecord } from '../../lambdas/core/types';

/** Shortest line used as a probe (shorter ones are too common to pin a position). */
export const MIN_LINE = 16;
/** Most lines probed per prompt. */
const MAX_PROBES = 400;
/** Buckets of each document's heat strip. */
export const MAP_BUCKETS = 120;
/** Largest total document size read for the map. */
const MAX_TOTAL_CHARS = 64_000_000;

/** A range of one document a prompt drew from (end exclusive). */
export interface DrawnRange { doc: number; start: number; end: number }

/** Per document: its size, how many sub-calls drew from it, and a heat strip of sub-calls per bucket. */
export interface DocumentMapEntry {
  name: string;
  chars: number;
  subCalls: number;
  /** Characters covered by at least one located range. */
  coveredChars: number;
  buckets: number[];
}

/** The map, or why there is none. */
export interface DocumentMap {
  available: boolean;
  reason?: string;
  documents: DocumentMapEntry[];
  /** Sub-calls with at least one located range / sub-calls probed. */
  located: number;
  probed: number;
}

/** Read the documents' texts when they are local files; undefined with a reason otherwise. */
export function readLocalDocuments(docs: DocumentRef[]): { texts: string[] } | { reason: string } {
  if (!docs.length) return { reason: 'the run lists no documents' };
  const total = docs.reduce((n, d) => n + d.chars, 0);
  if (total > MAX_TOTAL_CHARS) return { reason: `the documents are too large to map here (${total} characters)` };
  const texts: string[] = [];
  for (const d of docs) {
    if (!d.uri.startsWith('file:')) return { reason: `document ${d.name} is not a local file (${d.uri.split('/').slice(0, 3).join('/')}/...)` };
    const file = fileURLToPath(d.uri);
    if (!existsSync(file)) return { reason: `document ${d.name} is no longer at ${file}` };
    texts.push(readFileSync(file, 'utf8'));
  }
  return { texts };
}

/** Locates prompt text in a set of documents. */
export class DocumentLocator {
  private readonly lines = new Map<string, { doc: number; offset: number } | null>();

  constructor(private readonly texts: string[]) {
    texts.forEach((text, doc) => {
      let offset = 0;
      for (const line of text.split('\n')) {
        if (line.trim().length >= MIN_LINE) {
          this.lines.set(line, this.lines.has(line) ? null : { doc, offset }); // null: occurs more than once
        }
        offset += line.length + 1;
      }
    });
  }

  /** The ranges `text` (a prompt, or its preview when `partial`) drew from, merged per document. */
  locate(text: string, partial: boolean): DrawnRange[] {
    let lines = text.split('\n');
    if (partial && lines.length > 1) lines = lines.slice(0, -1); // the preview's last line is cut
    const candidates = lines.filter((l) => l.trim().length >= MIN_LINE);
    const step = Math.max(1, Math.ceil(candidates.length / MAX_PROBES));
    const hits: DrawnRange[] = [];
    for (let i = 0; i < candidates.length; i += step) {
      const at = this.lines.get(candidates[i]);
      if (at) hits.push({ doc: at.doc, start: at.offset, end: at.offset + candidates[i].length });
    }
    hits.sort((a, b) => a.doc - b.doc || a.start - b.start);
    const gap = Math.max(2000, text.length);
    const merged: DrawnRange[] = [];
    for (const h of hits) {
      const last = merged[merged.length - 1];
      if (last && last.doc === h.doc && h.start - last.end <= gap) last.end = Math.max(last.end, h.end);
      else merged.push({ ...h });
    }
    return merged;
  }

  /** Number of documents. */
  get size(): number {
    return this.texts.length;
  }

  /** Length of document `doc`. */
  charsOf(doc: number): number {
    return this.texts[doc].length;
  }
}

/** Build the map from every sub-call's ranges (`ranges[i]` for sub-call i). */
export function buildDocumentMap(docs: DocumentRef[], locator: DocumentLocator, ranges: DrawnRange[][]): DocumentMap {
  const entries: DocumentMapEntry[] = docs.map((d, i) => ({ name: d.name, chars: locator.charsOf(i), subCalls: 0, coveredChars: 0, buckets: new Array(MAP_BUCKETS).fill(0) }));
  const covered: Array<Array<[number, number]>> = docs.map(() => []);
  for (const call of ranges) {
    const docsHit = new Set<number>();
    for (const r of call) {
      const e = entries[r.doc];
      docsHit.add(r.doc);
      covered[r.doc].push([r.start, r.end]);
      const size = Math.max(1, e.chars / MAP_BUCKETS);
      for (let b = Math.floor(r.start / size); b <= Math.min(MAP_BUCKETS - 1, Math.floor((r.end - 1) / size)); b++) e.buckets[b] += 1;
    }
    for (const d of docsHit) entries[d].subCalls += 1;
  }
  covered.forEach((list, i) => {
    list.sort((a, b) => a[0] - b[0]);
    let total = 0;
    let cur: [number, number] | undefined;
    for (const [s, e] of list) {
      if (cur && s <= cur[1]) cur[1] = Math.max(cur[1], e);
      else { if (cur) total += cur[1] - cur[0]; cur = [s, e]; }
    }
    if (cur) total += cur[1] - cur[0];
    entries[i].coveredChars = total;
  });
  return { available: true, documents: entries, located: ranges.filter((r) => r.length).length, probed: ranges.length };
}

/** Ranges of one sub-call record (full prompt when recorded, else its preview). */
export function rangesOf(locator: DocumentLocator, r: SubCallRecord): DrawnRange[] {
  return r.prompt !== undefined ? locator.locate(r.prompt, false) : locator.locate(r.promptPreview, r.promptChars > r.promptPreview.length);
}
