#!/usr/bin/env node
/**
 * `npm run build` (also run by `prepare`): the package as plain JavaScript in dist/.
 *  1. tsc -p tsconfig.build.json: `index.ts` (rlm-pipeline) and `cdk.ts` (rlm-pipeline/cdk) and everything they
 *     import, as CommonJS with .d.ts, under dist/ with the source layout kept (dist/lambdas/handlers/*.js are the
 *     Lambda entries the construct bundles in a consumer's app).
 *  2. Runtime files that are not TypeScript (the Pyodide worker, *.mjs under lambdas/) are copied next to their
 *     compiled modules, and next to dist/cli.js (the bundle's `__dirname` is dist/).
 *  3. schemas/*.schema.json, the JSON Schemas of the files users write (lambdas/core/file-schemas.ts).
 *  4. esbuild bundles the CLI (bin/rlm.ts) into dist/cli.js, run by plain node through bin/rlm-launcher.mjs;
 *     packages stay external (pyodide, dynalite and the SDK load their own files at run time), except zod and
 *     aws-local-stepfunctions (whose validator and Lambda client load on first use: `deferRequires`).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);
const { cliBundleOptions } = require('./cli-bundle.cjs');

/** Files under `dir` (recursively) whose name matches `pattern`. */
function filesUnder(dir, pattern) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full, pattern);
    return pattern.test(name) ? [full] : [];
  });
}

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });

for (const file of filesUnder(join(root, 'lambdas'), /\.(mjs|cjs|py)$/)) {
  const target = join(dist, relative(root, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
  copyFileSync(file, join(dist, relative(dirname(file), file)));
}

// schemas/*.schema.json from the zod schemas (committed too, so editors can point at the repository's copy).
const { fileJsonSchemas } = require(join(dist, 'lambdas', 'core', 'file-schemas.js'));
mkdirSync(join(root, 'schemas'), { recursive: true });
for (const [file, schema] of Object.entries(fileJsonSchemas())) writeFileSync(join(root, 'schemas', file), JSON.stringify(schema, null, 2) + '\n');

// The CLI's help texts, rendered from the settings table now: the bundle's bin/cli/help is these strings (plus the
// version reader), so `rlm --help` and `rlm --version` evaluate neither zod nor the table.
const helpTexts = require(join(dist, 'bin', 'cli', 'help.js'));
const prerenderedHelp = {
  name: 'prerendered-help',
  setup(build) {
    build.onResolve({ filter: /(^|\/)cli\/help$|^\.\.?\/help$/ }, (args) => {
      const target = join(args.resolveDir, args.path);
      return target === join(root, 'bin', 'cli', 'help') ? { path: target, namespace: 'prerendered-help' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'prerendered-help' }, () => ({
      resolveDir: join(root, 'bin', 'cli'),
      loader: 'js',
      contents: [
        ...['COMMANDS', 'HELP', 'RUN_HELP', 'BATCH_HELP'].map((k) => `exports.${k} = ${JSON.stringify(helpTexts[k])};`),
        "exports.version = require('./version').version;",
      ].join('\n'),
    }));
  },
};

const esbuild = require('esbuild');
await esbuild.build({
  ...cliBundleOptions(root, join(dist, 'cli.js')),
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: true,
  sourcesContent: false,
  plugins: [...cliBundleOptions(root, '').plugins, prerenderedHelp],
});
