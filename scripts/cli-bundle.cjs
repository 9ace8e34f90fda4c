/**
 * The esbuild options of the CLI bundle (bin/rlm.ts -> one CommonJS file run by plain node), in one place:
 * scripts/build.mjs adds minification, the source map and the prerendered help to them for dist/cli.js, and the
 * kill tests (test/local/kill-kit.ts) bundle the current source with them as they are.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * Package names the CLI bundle leaves to node_modules (all but zod: the settings table loads at start, and one
 * bundled copy starts in a fraction of the time zod's many files take to resolve), with their subpaths.
 */
function cliExternals(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter((n) => n !== 'zod');
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
  };
}

module.exports = { cliBundleOptions, cliExternals };
