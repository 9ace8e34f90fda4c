/**
 * RLM: the pipeline answers the question and its four choices (with the same "The correct answer is (X)"
 * instruction) over the record's context as the document, locally (LocalEngine) or on a deployed stack.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  buildRlmQuestion, classifyFailure, errorText, EvalAbortedError, extractAnswer, QuestionDeferredError,
  type LongBenchRecord, type QuestionResult,
} from '../../lambdas/core/eval';
import type { RunConfig, RunSummary, StartRunRequest } from '../../lambdas/core/types';
import { toFileUri } from '../../lambdas/adapters/documents';
import type { LocalEngine } from '../local/local-engine';
import { ANSWER_PREVIEW_CHARS, recordFields } from './direct';

/** Name of the document the root model sees. */
export const EVAL_DOCUMENT_NAME = 'context.txt';

/** Runs one RLM question on some pipeline; resolves with the run summary whether it succeeded or failed. */
export interface RlmRunner {
  readonly description: string;
  run(input: { runId: string; question: string; context: string; tags: Record<string, string> }): Promise<RunSummary>;
  close(): Promise<void>;
}

/** A run ID for a record: `eval-<id>-<random>` (valid as a Step Functions execution name). */
export function evalRunId(recordId: string): string {
  const safe = recordId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
  return `eval-${safe}-${randomBytes(3).toString('hex')}`;
}

/**
 * The local pipeline: the context is written to a temporary file, run through `engine.run`, and the
 * file removed. The engine's `runDefaults` carry the root/sub models.
 */
export class LocalRlmRunner implements RlmRunner {
  readonly description: string;

  /** @param engine a started engine (closed by {@link close}). */
  constructor(private readonly engine: Pick<LocalEngine, 'run' | 'close' | 'stateDir'>) {
    this.description = `local engine (state in ${engine.stateDir})`;
  }

  /** Run one question. */
  async run(input: { runId: string; question: string; context: string; tags: Record<string, string> }): Promise<RunSummary> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rlm-eval-'));
    try {
      const file = path.join(dir, EVAL_DOCUMENT_NAME);
      await writeFile(file, input.context, 'utf8');
      const request: StartRunRequest = { question: input.question, documents: [{ uri: toFileUri(file), name: EVAL_DOCUMENT_NAME }], tags: input.tags };
      return await this.engine.run(request, { runId: input.runId });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Close the engine. */
  async close(): Promise<void> {
    await this.engine.close();
  }
}

/**
 * Answer one record with the RLM. Success means the run ended by FINAL (stopReason `final`); a run
 * stopped by the iteration cap or a limit, or failed, is unsuccessful even if it produced text. Throws
 * {@link QuestionDeferredError} / {@link EvalAbortedError} for transient / setup failures (not recorded).
 */
export async function answerRlm(record: LongBenchRecord, runner: RlmRunner, now: () => number = Date.now): Promise<QuestionResult> {
  const runId = evalRunId(record._id);
  const started = now();
  const summary = await runner.run({
    runId, question: buildRlmQuestion(record), context: record.context, tags: { eval: 'longbench-v2', question: record._id },
  });
  if (summary.error) {
    const kind = classifyFailure(summary.error.name);
    if (kind === 'retry-later') throw new QuestionDeferredError(`${record._id} (run ${runId}): ${summary.error.name}: ${summary.error.message}`);
    if (kind === 'abort') throw new EvalAbortedError(`run ${runId}: ${summary.error.name}: ${summary.error.message}`);
  }
  const success = summary.status === 'succeeded' && summary.stopReason === 'final';
  const predicted = extractAnswer(summary.answer);
  const u = summary.usage;
  let error: string | null = null;
  if (!success) {
    error = summary.error
      ? errorText(summary.error.name, summary.error.message)
      : errorText(`RunStopped`, `stopReason ${summary.stopReason}${summary.stopDetail ? ` (${summary.stopDetail})` : ''}`);
  }
  return {
    ...recordFields(record), approach: 'rlm', success, predicted, correct: success && predicted === record.answer,
    rootTokens: u.rootInputTokens + u.rootOutputTokens + u.rootCacheReadTokens + u.rootCacheWriteTokens,
    subTokens: u.subInputTokens + u.subOutputTokens,
    costUsd: summary.costUsd, latencyMs: summary.elapsedMs ?? now() - started, iterations: summary.iterations,
    error, stopReason: summary.stopReason, runId: summary.runId,
    ...(summary.answer ? { answerPreview: summary.answer.slice(0, ANSWER_PREVIEW_CHARS) } : {}),
    finishedAt: new Date(now()).toISOString(),
  };
}

/** Root/sub model overrides for the pipeline (only the ones given). */
export function rlmModelOptions(rootModelId?: string, subModelId?: string): Partial<RunConfig> {
  return { ...(rootModelId ? { rootModelId } : {}), ...(subModelId ? { subModelId } : {}) };
}
