#!/usr/bin/env node
// Entry point of the `rlm` binary. The CLI runs in THIS process (no tsx -> node child chain), so a
// signal sent to `rlm` reaches the code that cancels the run, and nothing is left orphaned.
//
// Seam for a bundled build: `loadCli()` is the one place that decides where the CLI comes from.
// It uses a prebuilt `dist/cli.js` when one exists, else registers tsx's loaders in-process and
// loads `bin/rlm.ts` from source. Either way the module exports `main(argv): Promise<number>`.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The CLI module: `{ main(argv: string[]): Promise<number> }`. */
async function loadCli() {
  const bundled = join(here, '..', 'dist', 'cli.js');
  if (existsSync(bundled)) return require(bundled);
  // tsx's in-process loaders: CommonJS (bin/rlm.ts is compiled as CJS) and ESM (dynamic imports of .ts).
  require('tsx/cjs/api').register();
  (await import('tsx/esm/api')).register();
  return require(join(here, 'rlm.ts'));
}

const cli = await loadCli();
const code = await cli.main(process.argv.slice(2));
// Exit now: the command is done (its engine closed, sessions stopped); a stray handle (a socket a
// server keeps open, a timer) must not keep `rlm` alive after a cancel.
process.exit(code);
