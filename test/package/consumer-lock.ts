/**
 * A consumer app's package.json and package-lock.json that install the packed tarball plus aws-cdk-lib and
 * constructs at the versions of this repository's lock: the entries of the packages the consumer needs are
 * copied from that lock (same versions and integrity), so `npm ci --offline` installs them from npm's cache
 * (filled by this repository's own `npm ci`) with no network.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

type Entry = Record<string, unknown> & { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };

/** Write `consumer/package.json` and `consumer/package-lock.json` for `tarball`; returns the number of locked packages. */
export function writeConsumerLock(repo: string, consumer: string, tarball: string): number {
  const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, Entry> };
  const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as Entry & { dependencies: Record<string, string> };
  const versionOf = (name: string) => lock.packages[`node_modules/${name}`].version as string;
  const dependencies = { 'rlm-pipeline': `file:${tarball}`, 'aws-cdk-lib': versionOf('aws-cdk-lib'), constructs: versionOf('constructs') };
  const packages: Record<string, Entry> = { '': { name: 'consumer', version: '1.0.0', dependencies } };
  // Node's resolution within the lock's tree: the nearest node_modules/<name> up from `from`.
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock.packages[key]) return key;
      if (!dir) return undefined;
    }
  };
  const todo = [...Object.keys(pkg.dependencies), 'aws-cdk-lib', 'constructs'].map((n) => `node_modules/${n}`);
  while (todo.length) {
    const key = todo.pop()!;
    if (packages[key]) continue;
    const entry = lock.packages[key];
    if (!entry) throw new Error(`the lock has no ${key}`);
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    packages[key] = rest;
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const dep = resolve(key, name);
      if (dep) todo.push(dep);
    }
  }
  packages['node_modules/rlm-pipeline'] = {
    version: pkg.version, resolved: `file:${tarball}`, license: pkg.license, dependencies: pkg.dependencies,
    peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta, bin: pkg.bin, engines: pkg.engines,
  };
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies }, null, 2));
  writeFileSync(path.join(consumer, 'package-lock.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
  return Object.keys(packages).length;
}
