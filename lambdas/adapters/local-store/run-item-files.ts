/**
 * The run item on disk as numbered versions, `<runDir>/run/00000001.json`, `00000002.json`, ...: the
 * highest version present is the item. An update creates version N+1 only if absent (the same hard link
 * as every other item, item-files.ts) and then removes the older versions, so the directory holds one
 * file (two after a kill between the link and the removal).
 *
 * Why not one `run.json` replaced by `rename`: on ext4, renaming over an existing file starts write-back
 * of the new file at once (`auto_da_alloc`, the safeguard for programs that do not fsync), which made the
 * run item's update the most expensive step of a root turn (0.6-2 ms against 0.1 ms for a new name). A new
 * name per version is also a real compare-and-swap: version N+1 exists = someone updated it first.
 *
 * Runs recorded before this layout have `<runDir>/run.json`: it is read as version 0 (and removed by the
 * first update), so their runs can still be listed and resumed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createIfAbsent, exists, readJsonFile, removeFile } from './item-files';

/** The run item's versions directory inside a run's directory. */
export const RUN_VERSIONS_DIR = 'run';
/** The single run item file of the layout before versions. */
export const LEGACY_RUN_FILE = 'run.json';

const versionName = (version: number) => `${String(version).padStart(8, '0')}.json`;

/** Version numbers present in `runDir`, ascending (0 = the legacy `run.json`, only when no version exists). */
export function runVersions(runDir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(runDir, RUN_VERSIONS_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    names = [];
  }
  const versions = names.filter((n) => /^\d{8}\.json$/.test(n)).map((n) => Number(n.slice(0, 8))).sort((a, b) => a - b);
  if (versions.length === 0 && exists(path.join(runDir, LEGACY_RUN_FILE))) return [0];
  return versions;
}

const fileOf = (runDir: string, version: number) =>
  version === 0 ? path.join(runDir, LEGACY_RUN_FILE) : path.join(runDir, RUN_VERSIONS_DIR, versionName(version));

/**
 * The current version of the run item, parsed by `parse` only when it is not `known` (the caller's cache):
 * `{ version, value }`, or undefined when the run has no item. A version removed between the listing and
 * the read (another process updated it) is looked up again.
 */
export function readCurrentRun<T>(runDir: string, known?: { version: number; value: T }): { version: number; value: T } | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const versions = runVersions(runDir);
    const version = versions[versions.length - 1];
    if (version === undefined) return undefined;
    if (known && known.version === version) return known;
    const value = readJsonFile<T>(fileOf(runDir, version));
    if (value !== undefined) return { version, value };
  }
  throw new Error(`the run item in ${runDir} kept changing while it was read`);
}

/**
 * Create version 1 of the run item; false when the run already has an item: any version (version 1 itself
 * is removed by the first update, so its absence alone proves nothing), or the legacy file.
 */
export function createRunItem(runDir: string, json: string): boolean {
  if (runVersions(runDir).length > 0) return false;
  return createIfAbsent(fileOf(runDir, 1), json);
}

/**
 * Write version `from + 1` only if absent (false: another writer got there first), then remove version
 * `from`. (A version left behind by a kill between the two is harmless: the highest one wins.)
 */
export function writeRunVersion(runDir: string, from: number, json: string): boolean {
  if (!createIfAbsent(fileOf(runDir, from + 1), json)) return false;
  removeFile(fileOf(runDir, from));
  return true;
}
