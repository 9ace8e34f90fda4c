/** The HTML document around a page: inline CSS, and a Content-Security-Policy that forbids loading anything. */
import { escapeHtml } from './escape';
import { PAGE_CSS } from './style';

/** Nothing may be fetched: inline styles and scripts only, images only as data: URIs. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** A complete HTML document. */
export function pageShell(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${PAGE_CSS}</style></head>
<body><main>${body}</main></body></html>
`;
}
