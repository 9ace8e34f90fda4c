/**
 * Reading a run on the deployed stack: its execution (DescribeExecution), its run item (DynamoDB, through
 * `DynamoConversationStore`), its `results/<runId>/result.json` and trajectory (S3); waiting for it.
 */
import { RUN_ARTIFACT_FILES } from '../../lambdas/core/bucket-layout';
import { writeFile } from 'node:fs/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoConversationStore } from '../../lambdas/adapters/dynamodb';
import { isMissingObject } from '../../lambdas/adapters/s3/errors';
import { describeError, RunNotFoundError } from '../../lambdas/core/errors';
import type { RunRecord, RunSummary } from '../../lambdas/core/types';
import { consoleUrlFor, executionArnFor, resultKeyFor, type RemoteClients, type RemoteStack } from './stack';

/** Step Functions execution statuses after which nothing more happens. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** The execution of a run, as DescribeExecution reports it. */
export interface ExecutionInfo {
  executionArn: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  status: string;
  startDate?: string;
  stopDate?: string;
  error?: string;
  cause?: string;
  consoleUrl: string;
}

/** The execution of `runId`, or undefined when there is none (the run ID was never started). */
export async function describeExecution(clients: RemoteClients, stack: RemoteStack, runId: string): Promise<ExecutionInfo | undefined> {
  const executionArn = executionArnFor(stack.stateMachineArn, runId);
  try {
    const d = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return {
      executionArn, status: d.status ?? 'UNKNOWN',
      ...(d.startDate ? { startDate: d.startDate.toISOString() } : {}),
      ...(d.stopDate ? { stopDate: d.stopDate.toISOString() } : {}),
      ...(d.error ? { error: d.error } : {}),
      ...(d.cause ? { cause: d.cause } : {}),
      consoleUrl: consoleUrlFor(executionArn),
    };
  } catch (err) {
    if (describeError(err).name === 'ExecutionDoesNotExist') return undefined;
    throw err;
  }
}

/** The run item, or undefined before StartRun created it (or when it expired). */
export async function readRunItem(clients: RemoteClients, stack: RemoteStack, runId: string): Promise<RunRecord | undefined> {
  const store = new DynamoConversationStore({ client: clients.dynamodb, tableName: stack.tableName });
  try {
    return await store.getRun(runId);
  } catch (err) {
    if (err instanceof RunNotFoundError) return undefined;
    throw err;
  }
}

/** `result.json` as FinalizeRun/RecordFailure write it: the summary plus the question. */
export type RemoteResult = RunSummary & { question?: string };

/** `results/<runId>/result.json`, or undefined while the run has not written it. */
export async function readResult(clients: Pick<RemoteClients, 's3'>, stack: Pick<RemoteStack, 'bucketName'>, runId: string): Promise<RemoteResult | undefined> {
  const text = await getObjectText(clients, stack.bucketName, resultKeyFor(runId, RUN_ARTIFACT_FILES.result));
  return text === undefined ? undefined : (JSON.parse(text) as RemoteResult);
}

/** Download `results/<runId>/trajectory.json` to `file`; false when it is not there. */
export async function downloadTrajectory(clients: RemoteClients, stack: RemoteStack, runId: string, file: string): Promise<boolean> {
  const text = await getObjectText(clients, stack.bucketName, resultKeyFor(runId, RUN_ARTIFACT_FILES.trajectory));
  if (text === undefined) return false;
  await writeFile(file, text, 'utf8');
  return true;
}

async function getObjectText(clients: Pick<RemoteClients, 's3'>, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return out.Body ? await out.Body.transformToString('utf-8') : '';
  } catch (err) {
    if (isMissingObject(err)) return undefined; // a missing bucket (NoSuchBucket, also 404) is an error, not "not written yet"
    throw err;
  }
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The small table `rlm status` prints. */
export function formatStatus(runId: string, execution: ExecutionInfo, run: RunRecord | undefined): string {
  const rows: Array<[string, string]> = [
    ['run', runId],
    ['execution', execution.status],
    ['started', execution.startDate ?? '-'],
    ['stopped', execution.stopDate ?? '-'],
  ];
  if (execution.error) rows.push(['error', `${execution.error}${execution.cause ? `: ${oneLine(execution.cause)}` : ''}`]);
  if (run) {
    const t = run.totals;
    rows.push(
      ['status', run.status],
      ['iterations', `${run.iterations} of ${run.config.maxIterations}`],
      ['stop reason', run.stopReason ? `${run.stopReason}${run.stopDetail ? ` (${oneLine(run.stopDetail)})` : ''}` : '-'],
      ['root tokens', `${fmt(t.rootInputTokens)} in / ${fmt(t.rootOutputTokens)} out` + (t.rootCacheReadTokens ? ` / ${fmt(t.rootCacheReadTokens)} cache read` : '')],
      ['sub-calls', `${fmt(t.subCalls)} (${fmt(t.subInputTokens)} in / ${fmt(t.subOutputTokens)} out${t.subCallErrors ? `, ${t.subCallErrors} errors` : ''})`],
      ['cost', `~$${t.costUsd.toFixed(4)}`],
      ['models', `${run.config.rootModelId} / ${run.config.subModelId}`],
    );
  } else {
    rows.push(['status', 'no run item yet (StartRun has not recorded the run)']);
  }
  rows.push(['console', execution.consoleUrl]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** The one-line summary `rlm result` (and `rlm run`) print on stderr. */
export function formatResultLine(r: RemoteResult): string {
  const u = r.usage;
  return `rlm: ${r.status} (${r.stopReason}${r.stopDetail ? `: ${oneLine(r.stopDetail)}` : ''}) after ${r.iterations} turns` +
    ` · root ${fmt(u.rootInputTokens + u.rootOutputTokens)} tok · ${u.subCalls} sub-calls · ~$${r.costUsd.toFixed(4)}`;
}

function oneLine(s: string, max = 300): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Knobs of {@link waitForExecution}. */
export interface WaitOptions {
  pollMs: number;
  /** Stop waiting (not the run) after this long. */
  timeoutMs?: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Called when the run item reports a new iteration count. */
  onIteration?: (run: RunRecord) => void;
}

/** Poll until the execution is terminal; returns it, or undefined when `timeoutMs` ran out first. */
export async function waitForExecution(clients: RemoteClients, stack: RemoteStack, runId: string, opts: WaitOptions): Promise<ExecutionInfo | undefined> {
  const deadline = opts.timeoutMs === undefined ? Infinity : opts.now() + opts.timeoutMs;
  let lastIteration = -1;
  for (;;) {
    const execution = await describeExecution(clients, stack, runId);
    if (execution && TERMINAL_STATUSES.has(execution.status)) return execution;
    if (opts.onIteration) {
      const run = await readRunItem(clients, stack, runId).catch(() => undefined); // progress only; never fatal
      if (run && run.iterations !== lastIteration) {
        lastIteration = run.iterations;
        opts.onIteration(run);
      }
    }
    if (opts.now() + opts.pollMs > deadline) return undefined;
    await opts.sleep(opts.pollMs);
  }
}
