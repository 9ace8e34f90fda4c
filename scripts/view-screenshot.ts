/**
 * Regenerate docs/images/run-view.png: the demo run (scripted model, real sandbox) rendered by `rlm view`,
 * its fourth turn and first sub-call opened, captured in headless Chromium down to the end of the timeline.
 *   npx tsx scripts/view-screenshot.ts [OUT.png]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseRunArgs, runCommand } from '../bin/commands/run';
import { writeView } from '../bin/view/write-view';
import { launchBrowser } from '../test/view/browser';

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'docs/images/run-view.png');
  const state = mkdtempSync(path.join(os.tmpdir(), 'rlm-shot-'));
  const { summary } = await runCommand(parseRunArgs([
    '--llm', 'scripted:examples/demo/script.json', '--document', 'examples/demo/docs',
    '--question', 'Which service had the most incidents in the logs?', '--state-dir', state, '--quiet',
  ]), { stdout: () => {}, stderr: () => {} });
  const file = await writeView(summary.runId, { stateDir: state });
  const browser = await launchBrowser();
  try {
    const { page } = await browser.open(pathToFileURL(file).href);
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.click('#turn-4 > .head');
    await page.locator('#turn-4 .call').first().locator(':scope > .head').click();
    const height = Math.ceil(await page.$eval('#timeline', (e) => e.getBoundingClientRect().bottom + (globalThis as unknown as { scrollY: number }).scrollY) + 12);
    await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width: 1000, height } });
  } finally {
    await browser.close();
    rmSync(state, { recursive: true, force: true });
  }
  console.log(out);
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
