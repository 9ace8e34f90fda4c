/**
 * Real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) for the viewer tests:
 * a fresh profile, no network services, and every console message, page error and request recorded.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Chromium is expected. */
export const CHROMIUM = process.env.RLM_CHROMIUM ?? '/usr/bin/chromium';

/** Flags: headless, no sandbox (containers), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];

/** A page and what it did. */
export interface Observed {
  page: Page;
  consoleErrors: string[];
  pageErrors: string[];
  /** Every request URL the page made (the file:// document itself included). */
  requests: string[];
}

/** A browser with a fresh user-data-dir; `close()` removes it. */
export interface Browser {
  open(url: string): Promise<Observed>;
  close(): Promise<void>;
}

/** Launch Chromium. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'rlm-view-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 900 },
  });
  return {
    async open(url: string) {
      const page = await context.newPage();
      const observed: Observed = { page, consoleErrors: [], pageErrors: [], requests: [] };
      page.on('console', (m) => { if (m.type() === 'error') observed.consoleErrors.push(m.text()); });
      page.on('pageerror', (e) => observed.pageErrors.push(String(e)));
      page.on('request', (r) => observed.requests.push(r.url()));
      await page.goto(url, { waitUntil: 'load' });
      return observed;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a viewer test file shares: one Chromium, a scratch folder and two documents (see `fixtures.writeDocs`). */
export interface ViewerBrowserSuite {
  readonly browser: Browser;
  /** Scratch folder of the test file, removed after it. */
  readonly dir: string;
  /** The documents folder written into `dir`. */
  readonly docs: string;
}

/**
 * Register the `beforeAll`/`afterAll` of a viewer test file: launch Chromium once for the file (a missing
 * Chromium fails the tests, with a hint), create `dir` with the documents, and close and remove both after.
 * The returned object's fields are set when the tests run.
 */
export function useViewerBrowser(prefix: string, writeDocs: (dir: string) => string): ViewerBrowserSuite {
  if (!existsSync(CHROMIUM)) console.warn(`${prefix}: ${CHROMIUM} is missing (apt-get install -y chromium); these tests fail`);
  const suite = {} as { browser: Browser; dir: string; docs: string };
  beforeAll(async () => {
    suite.dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    suite.docs = writeDocs(suite.dir);
    suite.browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await suite.browser?.close();
    if (suite.dir) rmSync(suite.dir, { recursive: true, force: true });
  });
  return suite;
}

/**
 * The page worked offline: no console error, no page error, and no request but `only` (the page itself) or,
 * without `only`, none outside file://.
 */
export function expectOffline(o: Observed, only?: string | string[]): void {
  expect(o.consoleErrors).toEqual([]);
  expect(o.pageErrors).toEqual([]);
  if (only === undefined) expect(o.requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  else expect(o.requests).toEqual(Array.isArray(only) ? only : [only]);
}
