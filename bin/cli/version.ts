/** `rlm --version`: the package version, read from the package.json above this module (or above the bundle). */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The package version (from the package.json above this module or the bundle). */
export function version(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'rlm-pipeline' && pkg.version) return pkg.version;
  }
  return 'unknown';
}
