/** Inline SVG charts (no script, no network): per-turn tokens and cost, value distributions, rate bars, document strips. */
import { escapeHtml } from './escape';

const W = 760;

/** Compact number: 1.2k, 3.4M. */
function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n * 100) / 100);
}

/**
 * Stacked bars of root and sub tokens per turn, with the running cost as a line (right axis).
 * `turns`: index, root tokens, sub tokens, cost, cumulative cost.
 */
export function turnsChart(turns: Array<{ index: number; rootTokens: number; subTokens: number; costUsd: number; cumulativeCostUsd: number; failed: boolean }>): string {
  const H = 220, left = 48, right = 56, top = 16, bottom = 28;
  const plotW = W - left - right, plotH = H - top - bottom;
  const maxTok = Math.max(1, ...turns.map((t) => t.rootTokens + t.subTokens));
  const maxCost = Math.max(0, ...turns.map((t) => t.cumulativeCostUsd));
  const bw = Math.min(48, plotW / Math.max(1, turns.length));
  const y = (v: number) => top + plotH - (v / maxTok) * plotH;
  const yc = (v: number) => top + plotH - (maxCost > 0 ? (v / maxCost) * plotH : 0);
  const parts: string[] = [];
  turns.forEach((t, i) => {
    const x = left + i * bw + Math.min(1, bw * 0.1);
    const w = Math.max(0.5, bw - Math.min(2, bw * 0.2));
    const hr = plotH * (t.rootTokens / maxTok), hs = plotH * (t.subTokens / maxTok);
    const tip = `<title>turn ${t.index}: root ${t.rootTokens} tok, sub ${t.subTokens} tok, $${t.costUsd.toFixed(4)} (total $${t.cumulativeCostUsd.toFixed(4)})</title>`;
    parts.push(`<g class="bar${t.failed ? ' failed' : ''}">${tip}<rect class="root" x="${x.toFixed(1)}" y="${(top + plotH - hr).toFixed(1)}" width="${w.toFixed(1)}" height="${hr.toFixed(1)}"/>` +
      `<rect class="sub" x="${x.toFixed(1)}" y="${(top + plotH - hr - hs).toFixed(1)}" width="${w.toFixed(1)}" height="${hs.toFixed(1)}"/></g>`);
  });
  const pts = turns.map((t, i) => `${(left + (i + 0.5) * bw).toFixed(1)},${yc(t.cumulativeCostUsd).toFixed(1)}`).join(' ');
  const ticks = [0, 0.5, 1].map((f) => `<text class="axis" x="${left - 6}" y="${(y(maxTok * f) + 4).toFixed(1)}" text-anchor="end">${compact(maxTok * f)}</text>` +
    `<text class="axis" x="${W - right + 6}" y="${(yc(maxCost * f) + 4).toFixed(1)}">$${(maxCost * f).toFixed(maxCost * f >= 1 ? 2 : 4)}</text>`).join('');
  const step = Math.max(1, Math.ceil(turns.length / 20));
  const xl = turns.filter((_, i) => i % step === 0).map((t) => {
    const i = turns.indexOf(t);
    return `<text class="axis" x="${(left + (i + 0.5) * bw).toFixed(1)}" y="${H - 10}" text-anchor="middle">${t.index}</text>`;
  }).join('');
  return `<svg class="chart" data-chart="turns" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="tokens and cost per turn">` +
    `<line class="grid" x1="${left}" y1="${top + plotH}" x2="${W - right}" y2="${top + plotH}"/>${parts.join('')}` +
    (turns.length ? `<polyline class="cost" points="${pts}"/>` : '') + ticks + xl +
    `<g class="legend"><rect class="root" x="${left}" y="2" width="10" height="8"/><text x="${left + 14}" y="10">root tokens</text>` +
    `<rect class="sub" x="${left + 100}" y="2" width="10" height="8"/><text x="${left + 114}" y="10">sub tokens</text>` +
    `<line class="cost" x1="${left + 200}" y1="6" x2="${left + 216}" y2="6"/><text x="${left + 220}" y="10">running cost (right axis)</text></g></svg>`;
}

/** A histogram of values (e.g. cost or latency per item), `label(v)` formats a bin edge. */
export function histogram(name: string, values: number[], label: (v: number) => string, bins = 12): string {
  const H = 160, left = 36, bottom = 30, top = 10, plotW = W / 2 - left - 10, plotH = H - top - bottom;
  if (!values.length) return `<svg class="chart" data-chart="${escapeHtml(name)}" viewBox="0 0 ${W / 2} ${H}"><text x="10" y="40">no values</text></svg>`;
  const min = Math.min(...values), max = Math.max(...values);
  const width = max > min ? (max - min) / bins : 1;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / width))] += 1;
  const top1 = Math.max(...counts);
  const bw = plotW / bins;
  const bars = counts.map((c, i) => {
    const h = (c / top1) * plotH;
    return `<rect class="hist" x="${(left + i * bw + 1).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${label(min + i * width)} – ${label(min + (i + 1) * width)}: ${c}</title></rect>`;
  }).join('');
  return `<svg class="chart" data-chart="${escapeHtml(name)}" viewBox="0 0 ${W / 2} ${H}" width="49%" role="img" aria-label="${escapeHtml(name)}">` +
    `<text class="title" x="${left}" y="${top + 2}">${escapeHtml(name)}</text>${bars}` +
    `<text class="axis" x="${left}" y="${H - 12}">${escapeHtml(label(min))}</text><text class="axis" x="${left + plotW}" y="${H - 12}" text-anchor="end">${escapeHtml(label(max))}</text>` +
    `<text class="axis" x="${left - 4}" y="${top + 10}" text-anchor="end">${top1}</text></svg>`;
}

/** Horizontal bars of rates in [0, 1] by group (success rate and accuracy). */
export function rateBars(title: string, groups: Array<{ label: string; n: number; successRate: number; accuracy: number }>): string {
  const rowH = 22, left = 150, H = 24 + groups.length * rowH * 2 + 10, plotW = W - left - 60;
  const rows = groups.map((g, i) => {
    const y0 = 24 + i * rowH * 2;
    const bar = (cls: string, v: number, dy: number, what: string) =>
      `<rect class="${cls}" x="${left}" y="${y0 + dy}" width="${(plotW * v).toFixed(1)}" height="${rowH - 6}"><title>${escapeHtml(g.label)} ${what}: ${(v * 100).toFixed(1)}% of ${g.n}</title></rect>` +
      `<text class="axis" x="${(left + plotW * v + 4).toFixed(1)}" y="${y0 + dy + 12}">${(v * 100).toFixed(1)}%</text>`;
    return `<text x="${left - 8}" y="${y0 + 18}" text-anchor="end">${escapeHtml(g.label)} (${g.n})</text>` + bar('success', g.successRate, 0, 'success rate') + bar('accuracy', g.accuracy, rowH - 4, 'accuracy');
  }).join('');
  return `<svg class="chart" data-chart="${escapeHtml(title)}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(title)}">` +
    `<text class="title" x="10" y="14">${escapeHtml(title)}</text><g class="legend"><rect class="success" x="${left}" y="4" width="10" height="8"/><text x="${left + 14}" y="12">success rate</text>` +
    `<rect class="accuracy" x="${left + 110}" y="4" width="10" height="8"/><text x="${left + 124}" y="12">accuracy</text></g>${rows}</svg>`;
}

/** One document's heat strip: how many sub-calls drew from each stretch of it. */
export function documentStrip(buckets: number[]): string {
  const top = Math.max(1, ...buckets);
  const bw = 600 / buckets.length;
  const cells = buckets.map((c, i) => c ? `<rect x="${(i * bw).toFixed(2)}" y="0" width="${(bw + 0.2).toFixed(2)}" height="14" fill-opacity="${(0.2 + 0.8 * (c / top)).toFixed(2)}"><title>${c} sub-call(s)</title></rect>` : '').join('');
  return `<svg class="strip" viewBox="0 0 600 14" width="600" height="14" preserveAspectRatio="none"><rect class="track" x="0" y="0" width="600" height="14"/>${cells}</svg>`;
}
