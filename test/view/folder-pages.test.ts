/**
 * `rlm view` on a batch results folder and on an evaluation folder (one sub-folder per approach), opened
 * in headless Chromium: one row per item linking to each run's page, distributions and rate charts.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeView } from '../../bin/view/write-view';
import type { BatchResultLine } from '../../lambdas/core/batch/results';
import type { QuestionResult } from '../../lambdas/core/eval';
import { expectOffline, useViewerBrowser } from './browser';
import { writeBigRun, writeDocs } from './fixtures';

const suite = useViewerBrowser('rlm-view-folders', writeDocs);

const line = (i: number, over: Partial<BatchResultLine> = {}): BatchResultLine => ({
  id: `q${i}`, index: i, status: 'succeeded', runId: `run-b${i}`, answer: `answer ${i}`, stopReason: 'final', error: null,
  iterations: 2 + i, inputTokens: 1000, outputTokens: 100, totalTokens: 1100, costUsd: 0.01 * (i + 1), latencyMs: 1000 * (i + 1), ...over,
});

test('a batch folder: a row per item with status, answer or error, cost, latency, turns and a link to the run page', async () => {
  const state = path.join(suite.dir, 'state');
  for (const i of [0, 1]) writeBigRun(state, suite.docs, { turns: 2, perTurn: 2, runId: `run-b${i}` });
  const lines = [line(0), line(1), line(2, { status: 'failed', answer: null, stopReason: null, error: 'DocumentError: missing.txt not found', runId: null, latencyMs: null, costUsd: 0 })];
  const folder = path.join(suite.dir, 'batch.results');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'results.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const file = await writeView(folder, { stateDir: state });
  expect(file).toBe(path.join(folder, 'view.html'));
  const o = await suite.browser.open(pathToFileURL(file).href);
  const rows = await o.page.$$eval('#items tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.querySelectorAll('td') as ArrayLike<{ textContent: string | null }>).map((td) => (td.textContent ?? '').trim())));
  expect(rows).toHaveLength(3);
  expect(rows[0]).toEqual(['q0', 'succeeded final', 'answer 0', '$0.0100', '1.0 s', '2', 'run-b0']);
  expect(rows[2].slice(0, 3)).toEqual(['q2', 'failed', 'DocumentError: missing.txt not found']);
  expect(await o.page.locator('svg[data-chart="cost per item (USD)"] rect.hist').count()).toBe(12);
  const hrefs = await o.page.$$eval('#items a', (as) => as.map((a) => a.getAttribute('href')));
  expect(hrefs).toEqual(['runs/run-b0.html', 'runs/run-b1.html']);
  for (const h of hrefs) expect(existsSync(path.join(folder, h as string))).toBe(true);
  await o.page.click('#items a >> nth=1');
  await o.page.waitForSelector('body[data-rendered="2"]');
  expect(await o.page.textContent('#answer')).toBe('big answer');
  expectOffline(o);
  await o.page.close();
}, 60_000);

const result = (id: string, approach: QuestionResult['approach'], over: Partial<QuestionResult>): QuestionResult => ({
  id, approach, success: true, predicted: 'A', gold: 'A', correct: true, rootTokens: 100, subTokens: 0, costUsd: 0.02, latencyMs: 3000,
  iterations: 1, error: null, domain: 'Long-dialogue History Understanding', subDomain: 'Agent history QA', difficulty: 'easy', length: 'short',
  finishedAt: '2026-12-01T10:00:00.000Z', ...over,
});

test('an eval folder with one folder per approach: the published table, rates by approach, difficulty and length', async () => {
  const root = path.join(suite.dir, 'eval-out');
  const base = [result('a', 'base', {}), result('b', 'base', { predicted: 'B', correct: false, difficulty: 'hard', length: 'long' }), result('c', 'base', { success: false, predicted: null, correct: false, error: 'ContextWindowExceededError: too long', length: 'long' })];
  const rlm = [result('a', 'rlm', { runId: 'run-e1', iterations: 4 }), result('b', 'rlm', { difficulty: 'hard', length: 'long', runId: 'run-e2' }), result('c', 'rlm', { predicted: 'C', gold: 'D', correct: false, length: 'long', runId: 'run-e3' })];
  for (const [name, rs] of [['base', base], ['rlm', rlm]] as const) {
    mkdirSync(path.join(root, name), { recursive: true });
    writeFileSync(path.join(root, name, 'results.jsonl'), rs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  writeBigRun(path.join(root, 'rlm', '.rlm'), suite.docs, { turns: 1, perTurn: 1, runId: 'run-e1' });
  const file = await writeView(root, { stateDir: path.join(suite.dir, 'nowhere') });
  const o = await suite.browser.open(pathToFileURL(file).href);
  const table = await o.page.$$eval('#published tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.querySelectorAll('td') as ArrayLike<{ textContent: string | null }>).slice(0, 4).map((td) => td.textContent)));
  expect(table).toEqual([['Base', '3', '66.7%', '33.3%'], ['RLM', '3', '100.0%', '66.7%']]);
  const bars = await o.page.$$eval('svg[data-chart="by length"] rect.accuracy title', (ts) => ts.map((t) => t.textContent));
  expect(bars).toEqual([
    'Base · short accuracy: 100.0% of 1', 'RLM · short accuracy: 100.0% of 1',
    'Base · medium accuracy: 0.0% of 0', 'RLM · medium accuracy: 0.0% of 0',
    'Base · long accuracy: 0.0% of 2', 'RLM · long accuracy: 50.0% of 2',
  ]);
  expect(await o.page.locator('svg[data-chart="by difficulty"] rect.success title').count()).toBe(4);
  expect(await o.page.locator('#items tr').count()).toBe(7);
  expect(await o.page.$$eval('#items a', (as) => as.map((a) => a.getAttribute('href')))).toEqual(['runs/run-e1.html']);
  expect(await o.page.textContent('#items')).toContain('ContextWindowExceededError: too long');
  expectOffline(o, pathToFileURL(file).href);
  await o.page.close();
}, 60_000);
