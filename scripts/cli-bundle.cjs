/**
 * The esbuild options of the CLI bundle (bin/rlm.ts -> one CommonJS file run by plain node), in one place:
 * scripts/build.mjs adds minification, the source map and the prerendered help to them for dist/cli.js, and the
 * kill tests (test/local/kill-kit.ts) bundle the current source with them as they are.
 */
const { readFileSync } = require('node:fs');
const { join, sep } = require('node:path');

/** Packages bundled into the CLI: zod (loads at start), aws-local-stepfunctions (so its requires can be deferred). */
const BUNDLED = new Set(['zod', 'aws-local-stepfunctions']);

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

/**
 * Package names the CLI bundle leaves to node_modules (all but BUNDLED: zod because the settings table loads at
 * start, and one bundled copy starts in a fraction of the time zod's many files take to resolve), with subpaths.
 */
function cliExternals(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter((n) => !BUNDLED.has(n));
  return names.flatMap((n) => [n, `${n}/*`]);
}

/** esbuild options that bundle the CLI of the repository at `root` into `outfile`. */
function cliBundleOptions(root, outfile) {
  return {
    entryPoints: [join(root, 'bin', 'rlm.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: cliExternals(root),
    keepNames: true,
    logLevel: 'warning',
    plugins: [deferRequires],
  };
}

module.exports = { cliBundleOptions, cliExternals };
