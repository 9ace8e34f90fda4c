/** Printing a run's result (`rlm result`, `rlm submit --wait`) and status (`rlm status`). */
import { RUN_ARTIFACT_FILES } from '../../lambdas/core/bucket-layout';
import {
  describeExecution, downloadTrajectory, formatResultLine, formatStatus, readResult, readRunItem, TERMINAL_STATUSES, type ExecutionInfo,
} from './runs';
import { resultKeyFor, type RemoteClients, type RemoteStack } from './stack';

/** Where the CLI writes (one line per call). */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** How the result is printed. */
export interface ShowResultOptions {
  output: 'text' | 'json';
  /** Download the trajectory JSON to this file. */
  trajectory?: string;
}

/**
 * Print `results/<runId>/result.json` (text: the answer on stdout, the accounting on stderr; json: the
 * object on stdout). Exit code 0 when the run succeeded, 1 when it failed, is still going, has no result
 * file or does not exist.
 */
export async function showResult(clients: RemoteClients, stack: RemoteStack, runId: string, opts: ShowResultOptions, io: CliIo): Promise<number> {
  let result;
  try {
    result = await readResult(clients, stack, runId);
  } catch (err) {
    // Without s3:ListBucket, S3 answers a missing key with 403: a run still going looks like a denial.
    if (!isAccessDenied(err)) throw err;
    const execution = await describeExecution(clients, stack, runId);
    if (execution && TERMINAL_STATUSES.has(execution.status)) throw err;
    return explainMissingResult(stack, runId, execution, opts, io);
  }
  if (!result) return explainMissingResult(stack, runId, await describeExecution(clients, stack, runId), opts, io);
  if (opts.trajectory) {
    const ok = await downloadTrajectory(clients, stack, runId, opts.trajectory);
    io.stderr(ok ? `rlm: trajectory written to ${opts.trajectory}` : `rlm: no ${resultKeyFor(runId, RUN_ARTIFACT_FILES.trajectory)} in s3://${stack.bucketName}`);
  }
  if (opts.output === 'json') {
    io.stdout(JSON.stringify(result));
  } else {
    if (result.answer !== null) io.stdout(result.answer);
    io.stderr(`${formatResultLine(result)} · s3://${stack.bucketName}/${resultKeyFor(runId, RUN_ARTIFACT_FILES.result)}`);
    if (result.error) io.stderr(`rlm: error ${result.error.name}: ${result.error.message}`);
  }
  return result.status === 'succeeded' ? 0 : 1;
}

/** No result file: say, from its execution, whether the run is still going, ended without one, or does not exist. Returns 1. */
function explainMissingResult(stack: RemoteStack, runId: string, execution: ExecutionInfo | undefined, opts: ShowResultOptions, io: CliIo): number {
  if (opts.output === 'json') io.stdout(JSON.stringify({ runId, ready: false, execution: execution ?? null }));
  if (!execution) {
    io.stderr(`rlm: no run ${runId} on stack ${stack.stackName} (no execution of ${stack.stateMachineArn})`);
  } else if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') {
    io.stderr(`rlm: run ${runId} is still going (${execution.status} since ${execution.startDate ?? '?'}); no result yet. ` +
      `Check with "rlm status ${runId}" or wait with "rlm submit --wait".\nrlm: ${execution.consoleUrl}`);
  } else {
    io.stderr(`rlm: run ${runId} ended ${execution.status} without a result file${describeFailure(execution)}\nrlm: ${execution.consoleUrl}`);
  }
  return 1;
}

function isAccessDenied(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (err instanceof Error && err.name === 'AccessDenied') || status === 403;
}

function describeFailure(execution: ExecutionInfo): string {
  if (!execution.error && !execution.cause) return '';
  return `: ${execution.error ?? 'Error'}${execution.cause ? `: ${execution.cause}` : ''}`;
}

/** Print `rlm status`: execution plus run item. Exit code 0, or 1 when the run does not exist. */
export async function showStatus(clients: RemoteClients, stack: RemoteStack, runId: string, output: 'text' | 'json', io: CliIo): Promise<number> {
  const execution = await describeExecution(clients, stack, runId);
  if (!execution) {
    if (output === 'json') io.stdout(JSON.stringify({ runId, execution: null, run: null }));
    io.stderr(`rlm: no run ${runId} on stack ${stack.stackName} (no execution of ${stack.stateMachineArn})`);
    return 1;
  }
  const run = await readRunItem(clients, stack, runId);
  if (output === 'text') {
    io.stdout(formatStatus(runId, execution, run));
    return 0;
  }
  io.stdout(JSON.stringify({
    runId,
    execution,
    run: run ? {
      status: run.status, iterations: run.iterations, maxIterations: run.config.maxIterations,
      stopReason: run.stopReason ?? null, stopDetail: run.stopDetail ?? null, error: run.error ?? null,
      totals: run.totals, rootModelId: run.config.rootModelId, subModelId: run.config.subModelId,
      documents: run.documents.length, contextChars: run.contextChars ?? null,
      createdAt: run.createdAt, updatedAt: run.updatedAt,
    } : null,
  }));
  return 0;
}
