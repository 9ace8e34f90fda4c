/**
 * How `context` is laid out from the documents, described without building it: its length and its
 * preview, from each document's length and first characters. A sandbox adapter can so describe the
 * context to the root model as soon as the documents were read, before the sandbox has installed them
 * (the first model call does not wait for the sandbox to boot).
 *
 * The sandbox builds the same layout in Python (`_rlm_set_documents` in lambdas/sandbox-python/prelude.py):
 * one document is `context` as is; several are each preceded by a header line and separated by a blank
 * line. test/adapters/context-layout.test.ts checks both agree on CPython and in Pyodide.
 */

/** Separator between documents in a multi-document `context`. */
export const DOCUMENT_SEPARATOR = '\n\n';

/** The header line before document `index` (0-based) of `count` in a multi-document `context`. */
export function documentHeader(index: number, count: number, name: string, chars: number): string {
  // Python's format(n, ','): thousands grouped with commas, whatever the locale.
  const grouped = String(chars).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `===== DOCUMENT ${index + 1}/${count}: ${name} (${grouped} chars) =====\n`;
}

/** Code points of a well-formed string (Python's `len`). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) n++;
    else {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n++;
    }
  }
  return n;
}

/** The first `max` code points of `text` (never splits a surrogate pair). */
export function headCodePoints(text: string, max: number): string {
  let i = 0;
  for (let n = 0; n < max && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff ? 2 : 1;
  }
  return text.slice(0, i);
}

/** One document as the layout needs it: its key in `documents`, its length, and its first characters. */
export interface ContextPart {
  name: string;
  /** Length in code points. */
  chars: number;
  /** At least the first `previewChars` code points of the text (all of it when shorter). */
  head: string;
}

/** Length of `context` (code points) and its first `previewChars` code points. */
export function describeContext(parts: ContextPart[], previewChars: number): { totalChars: number; preview: string } {
  if (parts.length === 1) return { totalChars: parts[0]!.chars, preview: headCodePoints(parts[0]!.head, previewChars) };
  let totalChars = 0;
  let preview = '';
  let previewLeft = previewChars;
  const take = (text: string, chars: number, complete: boolean) => {
    totalChars += chars;
    if (previewLeft <= 0) return;
    const piece = headCodePoints(text, previewLeft);
    preview += piece;
    previewLeft -= complete ? chars : codePointLength(piece);
  };
  parts.forEach((part, i) => {
    if (i > 0) take(DOCUMENT_SEPARATOR, DOCUMENT_SEPARATOR.length, true);
    const header = documentHeader(i, parts.length, part.name, part.chars);
    take(header, codePointLength(header), true);
    take(part.head, part.chars, false);
  });
  return { totalChars, preview };
}
