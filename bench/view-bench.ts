/**
 * Viewer benchmark: a generated 200-turn / 10,000-sub-call run (full prompts drawn from document lines),
 * `rlm view` generation time and page size, then in headless Chromium the time from navigation start to
 * the timeline built, and to a 50-sub-call turn opened. Figures in docs/performance.md.
 *   npx tsx bench/view-bench.ts
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeView } from '../bin/view/write-view';
import { launchBrowser } from '../test/view/browser';
import { writeBigRun, writeDocs } from '../test/view/fixtures';

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rlm-view-bench-'));
  const browser = await launchBrowser();
  try {
    const runDir = writeBigRun(path.join(dir, 'state'), writeDocs(dir), { turns: 200, perTurn: 50 });
    const t0 = Date.now();
    const file = await writeView(runDir, { stateDir: path.join(dir, 'state') });
    const generateMs = Date.now() - t0;
    const rows: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { page } = await browser.open(pathToFileURL(file).href);
      await page.waitForSelector('body[data-rendered="200"]');
      const renderMs = Number(await page.getAttribute('body', 'data-render-ms'));
      const t1 = Date.now();
      await page.click('#turn-100 > .head');
      await page.locator('#turn-100 .batch > .head').click();
      await page.locator('#turn-100 .call').nth(49).waitFor();
      rows.push(`render ${renderMs} ms, open a 50-sub-call turn ${Date.now() - t1} ms`);
      await page.close();
    }
    console.log(`page ${(statSync(file).size / 1e6).toFixed(2)} MB, generated in ${generateMs} ms`);
    for (const r of rows) console.log(r);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
