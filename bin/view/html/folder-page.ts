/**
 * Pages of many runs: a batch results folder (`results.jsonl` of batch lines) or an evaluation (one or more
 * approaches' `results.jsonl`): one row per item linking to its run page, and charts. Rendered here (no script).
 */
import type { BatchResultLine } from '../../../lambdas/core/batch/results';
import { APPROACH_LABELS, groupStats, subsetOf, summarizeResults, type EvalApproach, type QuestionResult } from '../../../lambdas/core/eval';
import { histogram, rateBars } from './charts';
import { escapeHtml as h } from './escape';
import { pageShell } from './shell';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (x: number) => `$${x.toFixed(x >= 1 ? 2 : 4)}`;
const secs = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
/** Most rows listed on a page (the charts use every row). */
export const MAX_ROWS = 5000;

function link(runId: string | null | undefined, links: ReadonlyMap<string, string>): string {
  if (!runId) return '–';
  const href = links.get(runId);
  return href ? `<a href="${h(href)}" class="mono">${h(runId)}</a>` : `<span class="mono muted" title="no trajectory found for this run">${h(runId)}</span>`;
}

function moreNote(n: number): string {
  return n > MAX_ROWS ? `<p class="muted">Showing ${fmt(MAX_ROWS)} of ${fmt(n)} rows; the charts use all.</p>` : '';
}

/** The page of a batch results folder. */
export function renderBatchPage(title: string, lines: BatchResultLine[], links: ReadonlyMap<string, string>): string {
  const ok = lines.filter((l) => l.status === 'succeeded').length;
  const cost = lines.reduce((n, l) => n + l.costUsd, 0);
  const rows = lines.slice(0, MAX_ROWS).map((l) => `<tr class="${l.status}"><td class="mono">${h(l.id)}</td><td><span class="badge ${l.status}">${l.status}</span>${l.stopReason ? ` <span class="small muted">${h(l.stopReason)}</span>` : ''}</td>` +
    `<td>${l.status === 'failed' ? `<span class="error">${h(cut(l.error ?? 'failed', 200))}</span>` : h(cut(l.answer ?? '(no answer)', 200))}</td>` +
    `<td class="num">${usd(l.costUsd)}</td><td class="num">${secs(l.latencyMs)}</td><td class="num">${l.iterations}</td><td>${link(l.runId, links)}</td></tr>`).join('');
  const body = `<h1>Batch <span class="mono">${h(title)}</span></h1>
<div class="cards"><div class="card"><b>${fmt(lines.length)}</b><span>items</span></div><div class="card"><b>${fmt(ok)}</b><span>succeeded</span></div>
<div class="card"><b>${fmt(lines.length - ok)}</b><span>failed</span></div><div class="card"><b>${usd(cost)}</b><span>cost (estimate)</span></div></div>
<h2>Distributions</h2>
${histogram('cost per item (USD)', lines.map((l) => l.costUsd), (v) => usd(v))}
${histogram('latency per item (s)', lines.filter((l) => l.latencyMs !== null).map((l) => (l.latencyMs as number) / 1000), (v) => `${v.toFixed(1)} s`)}
<h2>Items</h2>${moreNote(lines.length)}
<table id="items"><tr><th>id</th><th>status</th><th>answer / error</th><th class="num">cost</th><th class="num">latency</th><th class="num">turns</th><th>run</th></tr>${rows}</table>`;
  return pageShell(`RLM batch ${title}`, body);
}

/** The page of an evaluation: per approach the published table's figures, splits, distributions, and every question. */
export function renderEvalPage(title: string, byApproach: Map<EvalApproach, QuestionResult[]>, links: ReadonlyMap<string, string>): string {
  const approaches = [...byApproach.keys()];
  const summaries = approaches.map((a) => summarizeResults(byApproach.get(a) ?? [], { approach: a, subset: 'all', subsetOf: (r) => subsetOf({ domain: r.domain, sub_domain: r.subDomain }) }));
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const table = `<table id="published"><tr><th>Approach</th><th class="num">Questions</th><th class="num">Success rate</th><th class="num">Accuracy</th><th class="num">cost total</th><th class="num">latency p50</th></tr>` +
    summaries.map((s) => `<tr><td>${h(APPROACH_LABELS[s.approach])}</td><td class="num">${s.overall.n}</td><td class="num">${pct(s.overall.successRate)}</td><td class="num">${pct(s.overall.accuracy)}</td>` +
      `<td class="num">${usd(s.costUsd.total)}</td><td class="num">${secs(s.latencyMs.p50)}</td></tr>`).join('') + '</table>';
  const group = (label: string, pick: (r: QuestionResult) => boolean) => approaches.map((a) => ({ label: `${APPROACH_LABELS[a]} · ${label}`, ...groupStats((byApproach.get(a) ?? []).filter(pick)) }));
  const charts = [
    rateBars('by approach', approaches.map((a) => ({ label: APPROACH_LABELS[a], ...groupStats(byApproach.get(a) ?? []) }))),
    rateBars('by difficulty', [...group('easy', (r) => r.difficulty === 'easy'), ...group('hard', (r) => r.difficulty === 'hard')]),
    rateBars('by length', ['short', 'medium', 'long'].flatMap((len) => group(len, (r) => r.length === len))),
  ].join('');
  const all = approaches.flatMap((a) => byApproach.get(a) ?? []);
  const rows = all.slice(0, MAX_ROWS).map((r) => `<tr><td class="mono">${h(r.id)}</td><td>${h(APPROACH_LABELS[r.approach] ?? r.approach)}</td>` +
    `<td><span class="badge ${r.success ? 'ok' : 'err'}">${r.success ? 'success' : 'unsuccessful'}</span></td>` +
    `<td class="mono">${h(r.predicted ?? '–')} / ${h(r.gold)}</td><td>${r.correct ? '✓' : '✗'}</td><td>${h(r.difficulty)} · ${h(r.length)}</td>` +
    `<td class="num">${usd(r.costUsd)}</td><td class="num">${secs(r.latencyMs)}</td><td class="num">${r.iterations}</td>` +
    `<td>${r.error ? `<span class="error small">${h(cut(r.error, 120))}</span>` : ''}</td><td>${link(r.runId, links)}</td></tr>`).join('');
  const body = `<h1>Evaluation <span class="mono">${h(title)}</span></h1>
<h2>Results (as in the published table)</h2>${table}
<h2>Success rate and accuracy</h2>${charts}
<h2>Distributions</h2>
${histogram('cost per question (USD)', all.map((r) => r.costUsd), (v) => usd(v))}
${histogram('latency per question (s)', all.map((r) => r.latencyMs / 1000), (v) => `${v.toFixed(1)} s`)}
<h2>Questions</h2>${moreNote(all.length)}
<table id="items"><tr><th>id</th><th>approach</th><th>status</th><th>predicted / gold</th><th>correct</th><th>split</th><th class="num">cost</th><th class="num">latency</th><th class="num">turns</th><th>error</th><th>run</th></tr>${rows}</table>`;
  return pageShell(`RLM evaluation ${title}`, body);
}
