/**
 * The four zones and their one-way imports (docs/architecture.md), checked on the source:
 * core does no I/O and imports no other zone; adapters do not import handlers, lib or bin;
 * handlers do not import bin; at run time the CLI takes only pure data from lib/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return sources(rel);
    return /\.(ts|mjs|cjs)$/.test(name) ? [rel] : [];
  });
}

/** Every module specifier a file imports (static imports, re-exports, require, dynamic import). */
function importsOf(file: string): Array<{ spec: string; resolved: string }> {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  return specs.map((spec) => ({ spec, resolved: spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec }));
}

function violations(dir: string, forbidden: (imp: { spec: string; resolved: string }, file: string) => boolean): string[] {
  return sources(dir).flatMap((file) => importsOf(file).filter((imp) => forbidden(imp, file)).map((imp) => `${file} imports ${imp.spec}`));
}

const inZone = (resolved: string, zone: string) => resolved === zone || resolved.startsWith(zone + path.sep);

test('core imports no SDK, no CDK, no I/O module and no other zone', () => {
  const io = /^(node:)?(fs|fs\/promises|http|https|net|child_process|worker_threads|dgram|tls)$/;
  expect(violations('lambdas/core', ({ spec, resolved }) =>
    spec.startsWith('@aws-sdk/') || spec.startsWith('aws-cdk-lib') || io.test(spec) ||
    ['lambdas/adapters', 'lambdas/handlers', 'lib', 'bin'].some((z) => inZone(resolved, z)))).toEqual([]);
});

test('adapters import neither handlers, nor lib, nor bin', () => {
  expect(violations('lambdas/adapters', ({ resolved }) => ['lambdas/handlers', 'lib', 'bin'].some((z) => inZone(resolved, z)))).toEqual([]);
});

test('handlers do not import the CLI, and take from lib/ nothing', () => {
  expect(violations('lambdas/handlers', ({ resolved }) => inZone(resolved, 'bin') || inZone(resolved, 'lib'))).toEqual([]);
});

test('the CLI takes from lib/ only pure data (the definition, the stack output keys, the storage prefixes are copied)', () => {
  const pureLib = ['lib/state-machine-definition', 'lib/stack-outputs'];
  expect(violations('bin', ({ spec, resolved }, file) =>
    file !== path.join('bin', 'app.ts') && (spec.startsWith('aws-cdk-lib') || (inZone(resolved, 'lib') && !pureLib.includes(resolved))))).toEqual([]);
});

test('the pure lib/ modules the CLI loads import no CDK', () => {
  expect(['lib/state-machine-definition.ts', 'lib/stack-outputs.ts'].flatMap((f) =>
    importsOf(f).filter((i) => i.spec.startsWith('aws-cdk-lib') || i.spec === 'constructs').map((i) => `${f} imports ${i.spec}`))).toEqual([]);
});

test('twin/ is test infrastructure: it may import lambdas/ and lib/, but nothing in lambdas/, lib/ or bin/ imports it', () => {
  const twinUsers = ['lambdas', 'lib', 'bin'].flatMap((dir) => violations(dir, ({ resolved }, file) =>
    inZone(resolved, 'twin') && !(dir === 'bin' && /twin/.test(path.basename(file)))));
  expect(twinUsers).toEqual([]);
});
