/**
 * `rlm batch`: every line of a batch manifest (JSON Lines) through ONE local engine with bounded
 * concurrency, writing the same `results.jsonl` and `summary.json` as the batch state machine on AWS.
 * Item validation, run IDs, result lines and the summary come from `lambdas/core/batch/`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createLanguageModel } from '../../lambdas/adapters/models';
import { toFileUri } from '../../lambdas/adapters/documents';
import { parseBatchManifest, MAX_BATCH_MANIFEST_BYTES, type BatchItem } from '../../lambdas/core/batch/batch-manifest';
import { baseName } from '../../lambdas/core/batch/layout';
import { batchIdFor } from '../../lambdas/core/batch/names';
import { mapWithConcurrency } from '../../lambdas/core/batch/pool';
import { failedResultLine, resultLineFromSummary, summarizeBatch, toJsonLines, type BatchResultLine, type BatchSummary } from '../../lambdas/core/batch/results';
import { describeError, InvalidInputError } from '../../lambdas/core/errors';
import type { PriceTable } from '../../lambdas/core/pricing';
import type { RunConfig } from '../../lambdas/core/types';
import { intFlag, pricesFlag } from '../cli/args';
import { BATCH_HELP } from '../cli/help';
import { parseFlags } from '../cli/parse';
import { RUN_OPTION_FLAGS, runOptionsFromFlags } from '../cli/run-options';
import { ItemProgress } from '../cli/progress';
import { LocalEngine } from '../local/local-engine';
import { warmSessionsFor } from '../../lambdas/adapters/pyodide/warm-pool';
import { EXIT, signalExitCode } from '../cli/exit-codes';
import type { CommandCancellation } from './run';

export { BATCH_HELP };

/** Parsed `rlm batch` flags. */
export interface BatchCommandOptions {
  manifest: string;
  concurrency: number;
  llm: string;
  outDir?: string;
  stateDir: string;
  quiet: boolean;
  runDefaults: Partial<RunConfig>;
  prices?: PriceTable;
  /**
   * Sandbox processes booted ahead (default {@link warmSessionsFor} the concurrency) and the boot snapshot's
   * folder (default `~/.cache/rlm`; null: cold boots). Benchmarks compare with `{ warmSessions: 0, snapshotDir: null }`.
   * `fresh`: a new sandbox process per item instead of one reset between items (`--fresh-sandboxes`).
   */
  sandbox?: { warmSessions?: number; snapshotDir?: string | null; fresh?: boolean };
}

/** Parse argv (after `batch`). Throws `InvalidInputError` naming the bad flag. */
export function parseBatchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BatchCommandOptions {
  const str = { type: 'string' } as const;
  const { values, positionals } = parseFlags('batch', argv, {
    concurrency: str, out: str, llm: { type: 'string', short: 'l' }, prices: str, 'state-dir': str, quiet: { type: 'boolean' },
    'fresh-sandboxes': { type: 'boolean' },
    ...RUN_OPTION_FLAGS,
  }, true);
  if (positionals.length !== 1) throw new InvalidInputError(`rlm batch takes one MANIFEST (a .jsonl file), got ${positionals.length}`);
  const llm = values.llm ?? env.RLM_LLM ?? 'bedrock';
  const runDefaults = runOptionsFromFlags(values, { scripted: llm.startsWith('scripted:') });
  const concurrency = intFlag('concurrency', values.concurrency) ?? 4;
  if (concurrency > 64) throw new InvalidInputError(`--concurrency must be at most 64 on one machine, got ${concurrency}`);
  return {
    manifest: positionals[0], concurrency, llm, stateDir: values['state-dir'] ?? '.rlm', quiet: Boolean(values.quiet), runDefaults,
    ...(values.out ? { outDir: values.out } : {}),
    ...(values.prices ? { prices: pricesFlag(values.prices) } : {}),
    ...(values['fresh-sandboxes'] ? { sandbox: { fresh: true } } : {}),
  };
}

/** Resolver for manifest documents on this machine: paths relative to the manifest's folder, or file:// URIs. */
export function localDocumentResolver(manifestDir: string): (document: string) => string {
  return (document: string) => {
    const d = document.trim();
    if (/^file:/i.test(d)) return toFileUri(d);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d)) {
      throw new Error(`"${d}" is not a local path or file:// URI (rlm batch reads local files; s3:// manifests run on the deployed stack)`);
    }
    return toFileUri(path.resolve(manifestDir, d));
  };
}

/** What a local batch produced. */
export interface BatchOutcome {
  summary: BatchSummary;
  lines: BatchResultLine[];
  outDir: string;
}

/** Run every item of the manifest; writes results.jsonl and summary.json and returns them. */
export async function runBatch(
  opts: BatchCommandOptions, io: { stdout: (s: string) => void; stderr: (s: string) => void }, cancel?: Pick<CommandCancellation, 'signal'>,
): Promise<BatchOutcome> {
  const manifestPath = path.resolve(opts.manifest);
  const stat = await fs.stat(manifestPath).catch(() => undefined);
  if (!stat?.isFile()) throw new InvalidInputError(`manifest ${opts.manifest} is not a file`);
  if (stat.size > MAX_BATCH_MANIFEST_BYTES) throw new InvalidInputError(`manifest ${opts.manifest} is ${stat.size} bytes; the limit is ${MAX_BATCH_MANIFEST_BYTES}`);
  const text = await fs.readFile(manifestPath, 'utf8');
  const name = baseName(manifestPath);
  const batchId = batchIdFor(name, ['local', manifestPath, text]);
  const items = parseBatchManifest(text, { batchId, resolveDocument: localDocumentResolver(path.dirname(manifestPath)) });
  const outDir = path.resolve(opts.outDir ?? path.join(path.dirname(manifestPath), `${name}.results`));
  const log = (line: string) => { if (!opts.quiet) io.stderr(line); };
  const invalid = items.filter((i) => i.error).length;
  log(`rlm batch: ${items.length} items (${invalid} invalid) from ${opts.manifest}, concurrency ${opts.concurrency}; results in ${outDir}`);

  const model = await createLanguageModel(opts.llm);
  const engine = await LocalEngine.start({
    model, stateDir: opts.stateDir, runDefaults: opts.runDefaults, ...(opts.prices ? { prices: opts.prices } : {}),
    // one session per valid item: the first boots its own, spares for the others (none booted for nothing)
    pyodide: {
      warmSessions: opts.sandbox?.warmSessions ?? warmSessionsFor(opts.concurrency), warmLimit: Math.max(0, items.length - invalid - 1),
      // an item's session is reset for a later item (pyodide_reset.py) unless --fresh-sandboxes
      reuseSessions: opts.sandbox?.fresh !== true,
      ...(opts.sandbox?.snapshotDir !== undefined ? { snapshotDir: opts.sandbox.snapshotDir } : {}),
    },
    ...(cancel ? { signal: cancel.signal } : {}),
  });
  const startedAt = new Date().toISOString();
  const progress = new ItemProgress(items.length);
  let lines: BatchResultLine[];
  try {
    lines = await mapWithConcurrency(items, opts.concurrency, async (item: BatchItem) => {
      const line = await runItem(engine, item);
      const counts = progress.record(line.status === 'succeeded', line.costUsd);
      const what = line.status === 'succeeded' ? `succeeded (${line.stopReason}, ${line.iterations} turns)` : `failed: ${line.error}`;
      log(`rlm batch: [${progress.count}/${items.length}] ${item.id} ${what}${line.latencyMs !== null ? ` · ${(line.latencyMs / 1000).toFixed(1)}s` : ''} · $${line.costUsd.toFixed(4)} | ${counts}`);
      return line;
    });
  } finally {
    await engine.close();
  }
  const summary = summarizeBatch(lines, {
    batchId, manifest: toFileUri(manifestPath), startedAt, finishedAt: new Date().toISOString(), results: toFileUri(path.join(outDir, 'results.jsonl')),
  });
  await fs.mkdir(outDir, { recursive: true });
  await fs.writeFile(path.join(outDir, 'results.jsonl'), toJsonLines(lines));
  await fs.writeFile(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return { summary, lines, outDir };
}

/** One item: invalid lines fail with their reason; a run that throws (it should not) fails with the error. */
async function runItem(engine: LocalEngine, item: BatchItem): Promise<BatchResultLine> {
  if (!item.request) return failedResultLine({ index: item.index, id: item.id }, item.error ?? 'invalid line');
  const started = Date.now();
  try {
    return resultLineFromSummary(item, await engine.run(item.request, { runId: item.runId }));
  } catch (err) {
    const { name, message } = describeError(err);
    return failedResultLine(item, `${name}: ${message}`, Date.now() - started);
  }
}

/**
 * `rlm batch ARGS`: parse, run, print the summary; returns the exit code. Cancelled by a signal, the
 * items in flight are recorded `cancelled`, items not started fail as cancelled, and the exit code is 130/143.
 */
export async function batchCommand(argv: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }, cancel?: CommandCancellation): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(BATCH_HELP);
    return 0;
  }
  const { summary } = await runBatch(parseBatchArgs(argv), io, cancel);
  io.stdout(JSON.stringify(summary, null, 2));
  const by = cancel?.received();
  if (by) return signalExitCode(by);
  return summary.failed ? EXIT.failed : EXIT.ok;
}
