/**
 * Where manifest documents may point. On AWS a manifest names keys relative to the pipeline bucket
 * (`documents/a.txt`, `inbox/team/`) or `s3://<this bucket>/...` URIs, and only under the prefixes runs
 * may read; locally (`rlm batch`) the command supplies a resolver for paths next to the manifest.
 */
import { ALLOWED_DOCUMENT_PREFIXES } from './layout';

/** Turns one manifest document entry into a run document URI; throws `Error` with a reason otherwise. */
export type DocumentResolver = (document: string) => string;

/**
 * Resolver for manifests in `bucket`: returns `s3://bucket/key` for a key or URI under one of
 * `allowedPrefixes`, else throws naming the entry and what is allowed.
 */
export function bucketDocumentResolver(bucket: string, allowedPrefixes: readonly string[] = ALLOWED_DOCUMENT_PREFIXES): DocumentResolver {
  return (document: string) => {
    const entry = document.trim();
    let key: string;
    if (/^s3:\/\//i.test(entry)) {
      const m = /^s3:\/\/([^/]+)\/(.*)$/i.exec(entry);
      if (!m) throw new Error(`"${entry}" is not an s3://bucket/key URI`);
      if (m[1] !== bucket) throw new Error(`"${entry}" is in bucket ${m[1]}; documents must be in ${bucket}`);
      key = m[2];
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
      throw new Error(`"${entry}" is not a key or an s3:// URI in ${bucket}`);
    } else {
      key = entry.replace(/^\/+/, '');
    }
    if (key.split('/').some((seg) => seg === '..' || seg === '.')) throw new Error(`"${entry}" contains "." or ".." segments`);
    if (!allowedPrefixes.some((p) => key.startsWith(p))) {
      throw new Error(`"${entry}" is outside the document prefixes (${allowedPrefixes.join(', ')})`);
    }
    return `s3://${bucket}/${key}`;
  };
}

/**
 * Resolve entries the manifest schema accepted (strings or `{uri, name}`) with the bucket's rules, collecting one
 * reason per entry the resolver refuses (`documents[1]: "..." is in bucket other; documents must be in ...`).
 */
export function resolveDocumentEntries(
  entries: ReadonlyArray<string | { uri: string; name?: string }>,
  resolve: DocumentResolver,
  field = 'documents',
): { documents: Array<string | { uri: string; name?: string }>; reasons: string[] } {
  const reasons: string[] = [];
  const documents: Array<string | { uri: string; name?: string }> = [];
  entries.forEach((entry, i) => {
    try {
      documents.push(typeof entry === 'string' ? resolve(entry) : { uri: resolve(entry.uri), ...(entry.name !== undefined ? { name: entry.name } : {}) });
    } catch (err) {
      reasons.push(`${field}[${i}]: ${(err as Error).message}`);
    }
  });
  return { documents, reasons };
}
