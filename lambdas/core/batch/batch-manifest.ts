/**
 * Batch manifests: JSON Lines, one item a line: `{"id": "q1", "question": "...", "documents": [...], "options": {...}}`.
 * Every non-blank line becomes an item; a line that cannot run (bad JSON, empty question, missing
 * documents, unknown fields or options, duplicate id, over the item limit) becomes an item with an
 * `error`, reported as failed in the results rather than dropped.
 */
import { z } from 'zod';
import { runOptionsSchema } from '../settings';
import { questionSchema, tagsSchema } from '../start-request';
import type { StartRunRequest } from '../types';
import type { DocumentResolver } from './documents';
import { resolveDocumentEntries } from './documents';
import { manifestDocumentsSchema, parseJson, reasonsOfSchema } from './fields';
import { batchItemRunName } from './names';

/** Most items (non-blank lines) per manifest; later lines are reported as failed. */
export const MAX_BATCH_ITEMS = 10_000;
/** Largest manifest read (bytes). */
export const MAX_BATCH_MANIFEST_BYTES = 64 * 1024 * 1024;

const ITEM_ID = 'must be a non-empty string or a number';
/** An item's `id`: read even from a line that is otherwise wrong, so its failure is reported under its name. */
const itemIdSchema = z.union([z.string({ error: ITEM_ID }).regex(/\S/, ITEM_ID).trim(), z.number({ error: ITEM_ID })], { error: ITEM_ID });

/**
 * One line of a batch manifest, declared once: `parseBatchManifest` checks each line with it and
 * `schemas/batch-line.schema.json` is exported from it.
 */
export const batchLineSchema = z.strictObject({
  id: itemIdSchema.optional()
    .describe('The item\'s name in the results (default line-<n>); unique within the manifest'),
  question: questionSchema,
  documents: manifestDocumentsSchema,
  options: runOptionsSchema.optional(),
  tags: tagsSchema.optional(),
}, { error: 'must be a JSON object' }).describe('One line of an rlm-pipeline batch manifest (JSON Lines), docs/triggers.md');

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

/**
 * Parse a manifest into items (valid and invalid), in file order. Each line: JSON, then `batchLineSchema`, then
 * what one line cannot say (unique ids, the item limit, the resolver's rules for documents). Never throws for bad lines.
 */
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
    const { value } = parseJson(content, reasons, `line ${line}`);
    const checked = reasons.length ? undefined : reasonsOfSchema(batchLineSchema, value, `line ${line}`);
    if (checked) reasons.push(...checked.reasons);
    const rawId = itemIdSchema.safeParse((value as { id?: unknown } | null)?.id);
    const id = rawId.success ? String(rawId.data) : `line-${line}`;
    if (seen.has(id)) reasons.push(`duplicate id "${id}" (ids must be unique within a manifest)`);
    seen.add(id);
    if (index >= maxItems) reasons.push(`the manifest has more than ${maxItems} items; split it into several manifests`);
    const base = { index, line, id, runId: batchItemRunName(options.batchId, index) };
    if (!checked?.ok || reasons.length) {
      items.push({ ...base, error: reasons.join('; ') });
      return;
    }
    const { documents, reasons: docReasons } = resolveDocumentEntries(checked.data.documents, options.resolveDocument);
    if (docReasons.length) {
      items.push({ ...base, error: docReasons.join('; ') });
      return;
    }
    const request: StartRunRequest = {
      question: checked.data.question, documents,
      options: (checked.data.options ?? {}) as StartRunRequest['options'],
      tags: { ...(checked.data.tags ?? {}), trigger: 'batch', batch: options.batchId, item: id },
    };
    items.push({ ...base, request });
  });
  return items;
}
