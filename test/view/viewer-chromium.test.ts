/**
 * The viewer in a real headless Chromium, opened from file://: no console errors, no request but the
 * page itself, the answer shown, a sub-call expanding to its full prompt and reply, charts drawn; a
 * generated 200-turn / 10,000-sub-call run rendering within 2 s; a failed run showing where and why.
 * Screenshots are written under os.tmpdir() (paths printed).
 */
import { statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeView } from '../../bin/view/write-view';
import { expectOffline, useViewerBrowser } from './browser';
import { FAILING_SCRIPT, runScripted, writeBigRun, writeDocs } from './fixtures';

const suite = useViewerBrowser('rlm-view-chromium-data', writeDocs);
const shots = path.join(os.tmpdir(), 'rlm-view-screenshots');
const stateDir = () => path.join(suite.dir, 'state');

test('a run page: loads offline, shows the answer, expands a sub-call to its full prompt and reply, draws the charts', async () => {
  const runDir = writeBigRun(stateDir(), suite.docs, { turns: 10, perTurn: 4, runId: 'run-small' });
  const file = await writeView(runDir, { stateDir: stateDir() });
  const url = pathToFileURL(file).href;
  const o = await suite.browser.open(url);
  const page = o.page;
  await page.waitForSelector('body[data-rendered="10"]');
  expect(await page.textContent('#answer')).toBe('big answer');
  expect(await page.locator('#timeline .turn').count()).toBe(10);
  expect(await page.locator('#timeline .turn .body').count()).toBe(0); // collapsed, nothing built yet

  await page.click('#turn-3 > .head');
  const batch = page.locator('#turn-3 .batch');
  expect(await batch.count()).toBe(1);
  expect(await batch.getAttribute('class')).toBe('batch open'); // a cell's only small batch opens with its cell
  const call = batch.locator('.call').nth(2);
  await call.locator(':scope > .head').click();
  const prompt = await call.locator('pre.prompt').textContent();
  const reply = await call.locator('pre.reply').textContent();
  expect(prompt).toMatch(/^Turn 3 call 2: what happened here\?\n/);
  expect(prompt!.split('\n')).toHaveLength(31); // the whole prompt, not the 200-character preview
  expect(reply).toBe('Reply 3/2: ' + 'nothing unusual, requests were served. '.repeat(8));
  expect(await call.textContent()).toMatch(/Drew from: (alpha|beta)\.txt chars [\d,]+–[\d,]+/);

  // turns chart: one bar group per turn with non-zero root and sub heights; a cost line
  const heights = await page.$$eval('svg[data-chart="turns"] g.bar rect', (rs) => rs.map((r) => Number(r.getAttribute('height'))));
  expect(heights).toHaveLength(20);
  expect(heights.every((h) => h > 0)).toBe(true);
  expect(await page.locator('svg[data-chart="turns"] polyline.cost').count()).toBe(1);
  const box = await page.locator('svg[data-chart="turns"]').boundingBox();
  expect(box!.width).toBeGreaterThan(300);
  // document map: both documents drawn from
  const perDoc = await page.$$eval('#document-map td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
  expect(perDoc).toEqual(['20', '20']);
  expect(await page.locator('#document-map svg.strip rect:not(.track)').count()).toBeGreaterThan(10);

  // a long output: the model saw it cut (the marker is highlighted), the full output is one click away
  await page.click('#turn-10 > .head');
  expect(await page.locator('#turn-10 pre.out .marker').first().textContent()).toMatch(/characters omitted \(output was 30,019 characters/);
  await page.locator('#turn-10 .more > .head').click();
  expect((await page.locator('#turn-10 pre.full').textContent())!.length).toBe(30019);
  expectOffline(o, url);
  const shot = path.join(shots, 'run-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`viewer-chromium: screenshot ${shot}`);
  await page.close();
}, 60_000);

test('a 200-turn / 10,000-sub-call run renders within 2 s and stays bounded in size', async () => {
  const runDir = writeBigRun(stateDir(), suite.docs, { turns: 200, perTurn: 50 });
  const started = Date.now();
  const file = await writeView(runDir, { stateDir: stateDir() });
  const generateMs = Date.now() - started;
  const bytes = statSync(file).size;
  const url = pathToFileURL(file).href;
  const t0 = Date.now();
  const o = await suite.browser.open(url);
  await o.page.waitForSelector('body[data-rendered="200"]');
  const wallMs = Date.now() - t0;
  // measured in the page: from navigation start to the timeline built (the harness's own overhead excluded)
  const renderMs = Number(await o.page.getAttribute('body', 'data-render-ms'));
  console.log(`viewer-chromium: big run page ${(bytes / 1e6).toFixed(1)} MB, generated in ${generateMs} ms, rendered in ${renderMs} ms (${wallMs} ms with the harness)`);
  expect(renderMs).toBeGreaterThan(0);
  expect(renderMs).toBeLessThan(2000);
  expect(bytes).toBeLessThan(5e6);
  expect(await o.page.locator('#timeline .turn').count()).toBe(200);
  // opening a turn with 50 sub-calls stays quick, and the sub-call texts are there (bounded, with a marker when cut)
  const t1 = Date.now();
  await o.page.click('#turn-200 > .head');
  await o.page.locator('#turn-200 .batch > .head').click();
  await o.page.locator('#turn-200 .call').first().locator(':scope > .head').click();
  const prompt = await o.page.locator('#turn-200 .call pre.prompt').first().textContent();
  expect(Date.now() - t1).toBeLessThan(2000);
  expect(prompt).toMatch(/^Turn 200 call 0:/);
  expect(await o.page.locator('#turn-200 .call').count()).toBe(50);
  expectOffline(o, url);
  await o.page.close();
}, 120_000);

test('a failed run (transcript kept) shows where and why it failed', async () => {
  const { summary } = await runScripted(suite.dir, 'bad', FAILING_SCRIPT, 'This one fails', suite.docs);
  expect(summary.status).toBe('failed');
  const file = await writeView(summary.runId, { stateDir: stateDir() });
  const url = pathToFileURL(file).href;
  const o = await suite.browser.open(url);
  await o.page.waitForSelector('body[data-rendered="2"]');
  expect(await o.page.textContent('#status')).toBe('failed');
  const failure = await o.page.textContent('#failure');
  expect(failure).toMatch(/after turn 2 of 2 recorded/);
  expect(failure).toMatch(/cell 1 raised KeyError/);
  expect(failure).toMatch(/ScriptExhaustedError: .*root turn 3/);
  // the last recorded turn is opened, with the failing cell's exception and traceback
  expect(await o.page.locator('#turn-2.open').count()).toBe(1);
  expect(await o.page.locator('#turn-2 .cell.failed .error').textContent()).toMatch(/Raised KeyError/);
  expect(await o.page.locator('#turn-2 pre.out.err').textContent()).toMatch(/KeyError: 'volume'/);
  expectOffline(o, url);
  const shot = path.join(shots, 'failed-run.png');
  await o.page.screenshot({ path: shot, fullPage: true });
  console.log(`viewer-chromium: screenshot ${shot}`);
  await o.page.close();
}, 120_000);
