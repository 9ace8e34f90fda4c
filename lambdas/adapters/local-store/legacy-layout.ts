/**
 * The layouts of the on-disk store before the run journal (run-journal.ts), read so that runs recorded by an
 * earlier version can still be listed, viewed and resumed:
 *
 * | item | file (a file per item)                                              |
 * |------|---------------------------------------------------------------------|
 * | run  | `<runDir>/run/00000001.json`, ... (highest version wins), or the older `<runDir>/run.json` (version 0) |
 * | turn | `<runDir>/turns/00001.json`                                         |
 * | step | `<runDir>/steps/00001/0001.json`                                    |
 *
 * Nothing writes them any more: the first write to such a run creates its journal from these items
 * (file-conversation-store.ts), and from then on the journal is the run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRecord, TurnRecord, TurnStepRecord } from '../../core/types';
import type { JournalItems } from './run-journal';

const isCode = (err: unknown, ...codes: string[]) => codes.includes((err as NodeJS.ErrnoException | null)?.code ?? '');

/** The run item's versions directory of the layout before the journal. */
export const LEGACY_RUN_VERSIONS_DIR = 'run';
/** The single run item file of the layout before versions. */
export const LEGACY_RUN_FILE = 'run.json';

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}

/** Names in `dir` (sorted), empty when it does not exist. */
function namesIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}

/** The run item of the older layouts with its version (0: `run.json`), or undefined. */
export function readLegacyRun(runDir: string): { version: number; value: RunRecord } | undefined {
  const versions = namesIn(path.join(runDir, LEGACY_RUN_VERSIONS_DIR)).filter((n) => /^\d{8}\.json$/.test(n));
  for (const name of versions.reverse()) {
    const value = readJson<RunRecord>(path.join(runDir, LEGACY_RUN_VERSIONS_DIR, name));
    if (value !== undefined) return { version: Number(name.slice(0, 8)), value };
  }
  const value = readJson<RunRecord>(path.join(runDir, LEGACY_RUN_FILE));
  return value === undefined ? undefined : { version: 0, value };
}

/** Every item of a run recorded with a file per item, or undefined when the directory holds none. */
export function readLegacyItems(runDir: string): JournalItems | undefined {
  const run = readLegacyRun(runDir);
  const items = (dir: string) => namesIn(dir).filter((n) => /^\d+\.json$/.test(n)).map((n) => readJson<unknown>(path.join(dir, n))).filter((x) => x !== undefined);
  const turns = items(path.join(runDir, 'turns')) as TurnRecord[];
  const steps = namesIn(path.join(runDir, 'steps')).flatMap((t) => items(path.join(runDir, 'steps', t))) as TurnStepRecord[];
  if (!run && turns.length === 0 && steps.length === 0) return undefined;
  return { ...(run ? { run } : {}), turns, steps };
}
