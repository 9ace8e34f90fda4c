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
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

/** Files under `dir` (recursively) whose name matches `pattern`. */
function filesUnder(dir, pattern) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full, pattern);
    return pattern.test(name) ? [full] : [];
  });
}

/** Packages bundled into the CLI: zod (loads at start), aws-local-stepfunctions (so its requires can be deferred). */
const BUNDLED = new Set(['zod', 'aws-local-stepfunctions']);

/** Package names the CLI bundle leaves to node_modules (all but BUNDLED), with their subpaths. */
function externals() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter((n) => !BUNDLED.has(n));
  return names.flatMap((n) => [n, `${n}/*`]);
}

/**
 * aws-local-stepfunctions requires asl-validator (ajv), @aws-sdk/client-lambda and credential-providers when
 * it loads, for what a local run never does (the engine passes `noValidate` and runs every Task in-process):
 * ~0.3 s of loading at each `rlm run`. In the bundle those three become modules that require the real one on
 * first use, so behaviour is unchanged if they are ever used.
 */
const DEFERRED = /^(asl-validator|@aws-sdk\/client-lambda|@aws-sdk\/credential-providers)$/;
const deferRequires = {
  name: 'defer-requires',
  setup(build) {
    build.onResolve({ filter: DEFERRED, namespace: 'deferred' }, (args) => ({ path: args.path, external: true }));
    build.onResolve({ filter: DEFERRED }, (args) =>
      args.namespace === 'file' && args.importer.includes(`node_modules${sep}aws-local-stepfunctions${sep}`) ? { path: args.path, namespace: 'deferred' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
      loader: 'js',
      // A callable proxy: asl-validator's export is a function, the SDK modules' are objects of classes.
      contents: `let real; const load = () => (real ??= require(${JSON.stringify(args.path)}));
module.exports = new Proxy(function deferred() {}, {
  apply: (_t, self, argv) => Reflect.apply(typeof load() === 'function' ? load() : load().default, self, argv),
  get: (_t, key) => key === '__esModule' ? undefined : load()[key],
  has: (_t, key) => key in load(),
});`,
    }));
  },
};

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

const esbuild = require('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'bin', 'rlm.ts')],
  outfile: join(dist, 'cli.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Every dependency stays external except zod (the settings table loads at start, and one bundled copy
  // starts in a fraction of the time zod's many files take to resolve and load) and aws-local-stepfunctions.
  external: externals(),
  plugins: [deferRequires],
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});
