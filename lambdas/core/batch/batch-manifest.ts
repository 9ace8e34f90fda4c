/**
 * Batch manifests: JSON Lines, one item a line: `{"id": "q1", "question": "...", "documents": [...], "options": {...}}`.
 * Every non-blank line becomes an item; a line that cannot run (bad JSON, empty question, missing
 * documents, unknown fields or options, duplicate id, over the item limit) becomes an item with an
 * `error`, reported as failed in the results rather than dropped.
 */
import type { StartRunRequest } from '../types';
import type { DocumentResolver } from './documents';
import { resolveDocumentEntries } from './documents';
import { checkKnownKeys, checkOptions, checkStartRequest, checkTags, parseJsonObject } from './fields';
import { batchItemRunName } from './names';

/** Most items (non-blank lines) per manifest; later lines are reported as failed. */
export const MAX_BATCH_ITEMS = 10_000;
/** Largest manifest read (bytes). */
export const MAX_BATCH_MANIFEST_BYTES = 64 * 1024 * 1024;

const ITEM_FIELDS = ['id', 'question', 'documents', 'options', 'tags'] as const;

/** One line of a batch manifest. */
export interface BatchItem {
  /** 0-based position among the non-blank lines: the item's stable number. */
  index: number;
  /** 1-based line number in the file (for messages). */
  line: number;
  /** The line's `id`, or `line-<n>` when it has none. */
  id: string;
  /** Run ID / execution name of the item's run. */
  runId: string;
  /** The run request; absent when the line is invalid. */
  request?: StartRunRequest;
  /** Why the line cannot run. */
  error?: string;
}

/** Options of {@link parseBatchManifest}. */
export interface ParseBatchOptions {
  /** Maps a document entry to a run URI (bucket keys on AWS, paths next to the manifest locally). */
  resolveDocument: DocumentResolver;
  batchId: string;
  maxItems?: number;
}

/** Parse a manifest into items (valid and invalid), in file order. Never throws for bad lines. */
export function parseBatchManifest(text: string, options: ParseBatchOptions): BatchItem[] {
  const maxItems = options.maxItems ?? MAX_BATCH_ITEMS;
  const items: BatchItem[] = [];
  const seen = new Set<string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((content, i) => {
    if (!content.trim()) return;
    const index = items.length;
    const line = i + 1;
    const reasons: string[] = [];
    const raw = parseJsonObject(content, reasons, `line ${line}`);
    let id = `line-${line}`;
    if (raw && raw.id !== undefined) {
      if ((typeof raw.id === 'string' && raw.id.trim()) || typeof raw.id === 'number') id = String(raw.id).trim();
      else reasons.push('"id" must be a non-empty string or a number');
    }
    if (seen.has(id)) reasons.push(`duplicate id "${id}" (ids must be unique within a manifest)`);
    seen.add(id);
    if (index >= maxItems) reasons.push(`the manifest has more than ${maxItems} items; split it into several manifests`);
    const base = { index, line, id, runId: batchItemRunName(options.batchId, index) };
    if (!raw || reasons.length) {
      items.push({ ...base, error: reasons.join('; ') });
      return;
    }
    checkKnownKeys(raw, ITEM_FIELDS, reasons, `line ${line}`);
    if (typeof raw.question !== 'string' || !raw.question.trim()) reasons.push('"question" must be a non-empty string');
    const { documents, reasons: docReasons } = resolveDocumentEntries(raw.documents, options.resolveDocument);
    reasons.push(...docReasons);
    const runOptions = checkOptions(raw.options, reasons);
    const tags = checkTags(raw.tags, reasons);
    const request = reasons.length ? undefined : checkStartRequest({
      question: raw.question as string, documents,
      options: runOptions ?? {},
      tags: { ...(tags ?? {}), trigger: 'batch', batch: options.batchId, item: id },
    }, reasons);
    items.push(request ? { ...base, request } : { ...base, error: reasons.join('; ') });
  });
  return items;
}
