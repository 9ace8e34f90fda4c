/**
 * `rlm view`: decide what PATH is (a run, a batch results folder, an evaluation folder or a folder of
 * them), build the page(s) and write them. Run pages of a folder go to `runs/<runId>.html` next to it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BatchResultLine } from '../../lambdas/core/batch/results';
import type { EvalApproach, QuestionResult } from '../../lambdas/core/eval';
import { InvalidInputError } from '../../lambdas/core/errors';
import type { PriceTable } from '../../lambdas/core/pricing';
import { renderBatchPage, renderEvalPage } from './html/folder-page';
import { renderRunPage } from './html/run-page';
import { findRun, isRunDir, loadRunDir, resultsDirOf } from './run-data';
import { buildRunPayload } from './run-payload';

/** Options of `writeView`. */
export interface ViewOptions {
  stateDir: string;
  out?: string;
  prices?: PriceTable;
  log?: (line: string) => void;
}

/** Most run pages written for one folder page. */
export const MAX_RUN_PAGES = 2000;

/** Parse a JSON Lines file read-only; a bad line is skipped and reported. */
function readJsonLines<T>(file: string, log: (l: string) => void): T[] {
  const out: T[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try { out.push(JSON.parse(line) as T); } catch { log(`rlm view: ${file} line ${i + 1} is not JSON; skipped`); }
  });
  return out;
}

/** Write the page of one run; returns its path. */
export function writeRunView(runDir: string, out: string, prices?: PriceTable, backLink?: { href: string; label: string }): string {
  const loaded = loadRunDir(runDir);
  const html = renderRunPage(buildRunPayload(loaded, prices), backLink ? { backLink } : {});
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, html);
  return out;
}

/** Write the pages of the runs named in a folder (found in the candidate state dirs); returns runId -> relative href. */
function writeRunPages(runIds: string[], stateDirs: string[], pageFile: string, opts: ViewOptions, log: (l: string) => void): Map<string, string> {
  const links = new Map<string, string>();
  const pagesDir = path.join(path.dirname(pageFile), 'runs');
  const unique = [...new Set(runIds)];
  for (const runId of unique.slice(0, MAX_RUN_PAGES)) {
    const dir = stateDirs.map((s) => path.join(resultsDirOf(s), runId)).find((d) => existsSync(d));
    if (!dir) continue;
    writeRunView(dir, path.join(pagesDir, `${runId}.html`), opts.prices, { href: `../${path.basename(pageFile)}`, label: 'all items' });
    links.set(runId, `runs/${encodeURIComponent(runId)}.html`);
  }
  if (unique.length > MAX_RUN_PAGES) log(`rlm view: wrote the first ${MAX_RUN_PAGES} of ${unique.length} run pages`);
  log(`rlm view: ${links.size} of ${unique.length} runs found in ${stateDirs.join(', ')}`);
  return links;
}

function isEvalLine(v: unknown): v is QuestionResult {
  return !!v && typeof v === 'object' && typeof (v as QuestionResult).approach === 'string' && 'gold' in (v as object);
}

/** The last line per question ID (a re-run with --retry-failed appends a newer line). */
function lastById(lines: QuestionResult[]): QuestionResult[] {
  const byId = new Map<string, QuestionResult>();
  for (const l of lines) byId.set(l.id, l);
  return [...byId.values()];
}

function evalFolders(dir: string): string[] {
  const own = path.join(dir, 'results.jsonl');
  if (existsSync(own)) return [dir];
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'results.jsonl'))).map((e) => path.join(dir, e.name)).sort();
}

/** Build and write the page(s) for `ref`; returns the path of the main page. */
export async function writeView(ref: string, opts: ViewOptions): Promise<string> {
  const log = opts.log ?? (() => {});
  const folder = existsSync(ref) && statSync(ref).isDirectory() && !isRunDir(ref) ? evalFolders(path.resolve(ref)) : [];
  if (folder.length) {
    const dir = path.resolve(ref);
    const out = path.resolve(opts.out ?? path.join(dir, 'view.html'));
    const files = folder.map((f) => ({ f, lines: readJsonLines<unknown>(path.join(f, 'results.jsonl'), log) }));
    const evalLines = files.flatMap(({ lines }) => lines.filter(isEvalLine));
    if (evalLines.length) {
      const byApproach = new Map<EvalApproach, QuestionResult[]>();
      for (const { lines } of files) {
        for (const r of lastById(lines.filter(isEvalLine))) byApproach.set(r.approach, [...(byApproach.get(r.approach) ?? []), r]);
      }
      const stateDirs = [...folder.map((f) => path.join(f, '.rlm')), opts.stateDir];
      const links = writeRunPages(evalLines.map((r) => r.runId).filter((x): x is string => !!x), stateDirs, out, opts, log);
      writeFileSync(out, renderEvalPage(path.basename(dir), byApproach, links));
      return out;
    }
    if (folder.length !== 1) throw new InvalidInputError(`${ref} holds several results.jsonl files but none of an evaluation`);
    const lines = files[0].lines as BatchResultLine[];
    if (lines.some((l) => !l || typeof l !== 'object' || typeof l.status !== 'string')) throw new InvalidInputError(`${path.join(folder[0], 'results.jsonl')} is neither a batch's nor an evaluation's results file`);
    const links = writeRunPages(lines.map((l) => l.runId).filter((x): x is string => !!x), [opts.stateDir, path.join(dir, '.rlm')], out, opts, log);
    writeFileSync(out, renderBatchPage(path.basename(dir), [...lines].sort((a, b) => a.index - b.index), links));
    return out;
  }
  const runDir = findRun(ref, opts.stateDir);
  const base = runDir.endsWith('.json') ? path.dirname(runDir) : runDir;
  return writeRunView(runDir, path.resolve(opts.out ?? path.join(base, 'view.html')), opts.prices);
}
