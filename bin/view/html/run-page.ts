/** The HTML page of one run: overview, charts, document map and config rendered here; the timeline by the inline script. */
import { gzipSync } from 'node:zlib';
import type { CellView, RunPayload, SubCallView } from '../run-payload';
import { documentStrip, turnsChart } from './charts';
import { escapeHtml as h, jsonForScript } from './escape';
import { RUN_CLIENT_JS } from './run-client';
import { pageShell } from './shell';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (x: number) => `$${x.toFixed(x >= 1 ? 2 : 4)}`;

function card(value: string, label: string): string {
  return `<div class="card"><b>${h(value)}</b><span>${h(label)}</span></div>`;
}

function outcomeHtml(p: RunPayload): string {
  const o = p.overview;
  const ended = o.stopReason ? `${o.stopReason}${o.stopDetail ? `: ${o.stopDetail}` : ''}` : 'not ended';
  const parts = [`<p>Ended: <b id="stop">${h(ended)}</b></p>`];
  if (p.failure) {
    parts.push(`<div class="failure" id="failure"><b>The run failed</b> ${h(p.failure.where)}.<br><span class="error">${h(p.failure.why)}</span></div>`);
  }
  parts.push(o.answer !== null ? `<div class="label">Answer</div><div class="answer" id="answer">${h(o.answer)}</div>` : '<p class="muted" id="answer">No answer.</p>');
  return parts.join('');
}

function documentMapHtml(p: RunPayload): string {
  const m = p.documentMap;
  if (!m.available) return `<p class="muted">No document map: ${h(m.reason ?? 'unavailable')}.</p>`;
  const rows = m.documents.map((d) => `<tr><td class="mono">${h(d.name)}</td><td class="num">${fmt(d.chars)}</td><td class="num">${fmt(d.subCalls)}</td>` +
    `<td class="num">${d.chars ? ((100 * d.coveredChars) / d.chars).toFixed(1) : '0.0'}%</td><td>${documentStrip(d.buckets)}</td></tr>`).join('');
  return `<p class="muted small">Where sub-call prompts came from, found by locating their lines in the documents: ${fmt(m.located)} of ${fmt(m.probed)} sub-calls placed` +
    ` (a prompt that is not made of whole document lines, e.g. a summary of earlier replies, cannot be placed; only 200-character previews are recorded unless the run kept full prompts).</p>` +
    `<table id="document-map"><tr><th>document</th><th class="num">chars</th><th class="num">sub-calls</th><th class="num">covered</th><th>start → end</th></tr>${rows}</table>`;
}

function configHtml(p: RunPayload): string {
  const rows = Object.entries(p.config).map(([k, v]) => `<tr><td>${h(k)}</td><td class="mono">${h(JSON.stringify(v))}</td></tr>`).join('');
  const docs = p.documents.slice(0, 200).map((d) => `<tr><td class="mono">${h(d.name)}</td><td class="mono small">${h(d.uri)}</td><td class="num">${fmt(d.chars)}</td></tr>`).join('');
  return `<table class="kv" id="config">${rows}</table>` +
    (p.documents.length ? `<h2>Documents (${fmt(p.documents.length)})</h2><table><tr><th>name</th><th>uri</th><th class="num">chars</th></tr>${docs}</table>` +
      (p.documents.length > 200 ? `<p class="muted">… and ${fmt(p.documents.length - 200)} more</p>` : '') : '');
}

/**
 * A sub-call as a compact tuple (10,000 of them must stay small): [n, model (null = the run's sub model),
 * promptChars, responseChars, prompt, response, flags (1 prompt only previewed, 2 reply truncated, 4 reply only previewed), input tokens,
 * output tokens, ms, error (null), ranges flattened as doc,start,end,...]. The page script unpacks it.
 */
export function packCall(c: SubCallView, subModel: string): unknown[] {
  return [c.n, c.model === subModel ? null : c.model, c.promptChars, c.responseChars, c.prompt, c.response,
    (c.promptCut ? 1 : 0) | (c.truncated ? 2 : 0) | (c.responseCut ? 4 : 0), c.inputTokens, c.outputTokens, c.durationMs, c.error ?? null,
    c.ranges.flatMap((r) => [r.doc, r.start, r.end])];
}

function packCells(cells: CellView[], subModel: string): unknown[] {
  return cells.map((cell) => ({ ...cell, batches: cell.batches.map((b) => ({ ...b, calls: b.calls.map((c) => packCall(c, subModel)) })) }));
}

/** Turn bodies larger than this are embedded gzip-compressed (base64), inflated by the browser's DecompressionStream on open. */
export const COMPRESS_OVER_BYTES = 8192;

/** A turn body's inert data block: JSON, or base64 gzip of the JSON when large. */
export function turnBlock(index: number, body: unknown): string {
  const json = jsonForScript(body);
  if (json.length <= COMPRESS_OVER_BYTES) return `<script type="application/json" id="turn-data-${index}">${json}</script>`;
  return `<script type="text/plain" data-encoding="gzip-base64" id="turn-data-${index}">${gzipSync(JSON.stringify(body)).toString('base64')}</script>`;
}

/** The complete page of a run (one self-contained HTML document). */
export function renderRunPage(p: RunPayload, opts: { backLink?: { href: string; label: string } } = {}): string {
  const o = p.overview;
  const t = o.totals;
  const elapsed = p.turns.reduce((n, x) => n + x.durationMs, 0);
  const cards = [
    card(String(o.turns), 'turns'), card(fmt(t.subCalls), `sub-calls${t.subCallErrors ? ` (${fmt(t.subCallErrors)} failed)` : ''}`),
    card(fmt(t.rootInputTokens + t.rootOutputTokens + t.rootCacheReadTokens + t.rootCacheWriteTokens), 'root tokens'),
    card(fmt(t.subInputTokens + t.subOutputTokens), 'sub tokens'), card(usd(o.costUsd), 'cost (estimate)'),
    card(elapsed < 1000 ? `${elapsed} ms` : `${(elapsed / 1000).toFixed(1)} s`, 'turn time'),
  ].join('');
  const chartTurns = p.turns.map((x) => ({ index: x.index, rootTokens: x.rootTokens, subTokens: x.subTokens, costUsd: x.costUsd, cumulativeCostUsd: x.cumulativeCostUsd, failed: x.errors.length > 0 }));
  const problems = p.problems.length ? `<div class="failure small">${p.problems.map((x) => h(x)).join('<br>')}</div>` : '';
  const body = `
${opts.backLink ? `<p><a href="${h(opts.backLink.href)}">← ${h(opts.backLink.label)}</a></p>` : ''}
<h1>RLM run <span class="mono">${h(o.runId)}</span> <span class="badge ${h(o.status)}" id="status">${h(o.status)}</span></h1>
<div class="question" id="question"><span class="muted">Question:</span> ${h(o.question || '(unknown)')}</div>
${problems}
${outcomeHtml(p)}
<div class="cards">${cards}</div>
<h2>Tokens and cost per turn</h2>
${turnsChart(chartTurns)}
<h2>Document map</h2>
${documentMapHtml(p)}
<h2>Timeline <span class="filters"><button id="expand-all">expand all</button><button id="collapse-all">collapse all</button></span></h2>
<div id="timeline"></div>
<h2>Config</h2>
${configHtml(p)}
<p class="muted small">Generated ${h(p.generatedAt)} by rlm view. Costs are estimates from the price table.</p>
<script type="application/json" id="rlm-data">${jsonForScript({ ...p, turns: p.turns.map(({ replyText: _r, feedback: _f, cellsView: _c, ...row }) => row) })}</script>
${p.turns.map((t) => turnBlock(t.index, { replyText: t.replyText, feedback: t.feedback, cellsView: packCells(t.cellsView, String(p.config.subModelId ?? '')) })).join('\n')}
<script>${RUN_CLIENT_JS}</script>`;
  return pageShell(`RLM run ${o.runId}`, body);
}
