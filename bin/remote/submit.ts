/** `rlm submit`: upload local documents, start the run's execution on the stack, optionally wait. */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { resolveRunConfig } from '../../lambdas/core/config';
import { describeError, InvalidInputError } from '../../lambdas/core/errors';
import { validateStartRequest } from '../../lambdas/core/start-request';
import type { RunConfig, StartRunRequest } from '../../lambdas/core/types';
import { showResult, type CliIo } from './result';
import { describeExecution, waitForExecution } from './runs';
import { consoleUrlFor, uploadPrefixFor, type RemoteClients, type RemoteStack } from './stack';
import { planDocuments, uploadDocuments } from './upload';

/** Parsed `rlm submit` flags (after the stack/region ones). */
export interface SubmitOptions {
  question: string;
  documents: string[];
  runId: string;
  /** True when the user chose the run ID (it may already exist). */
  runIdGiven: boolean;
  options: Partial<RunConfig>;
  tags?: Record<string, string>;
  wait: boolean;
  pollMs: number;
  timeoutMs?: number;
  output: 'text' | 'json';
  trajectory?: string;
  quiet: boolean;
}

/** Clock and sleep (tests make waiting instant). */
export interface SubmitEnv {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/**
 * Submit one run. Validates everything it can before touching the bucket (request, run options, run ID
 * not taken, s3:// documents readable by the run), then uploads, then StartExecution (name = run ID).
 * Returns the exit code: 0 started (or, with `wait`, succeeded), 1 failed or still running at the timeout.
 */
export async function submitRun(clients: RemoteClients, stack: RemoteStack, opts: SubmitOptions, io: CliIo, env: SubmitEnv): Promise<number> {
  const say = (line: string) => { if (!opts.quiet) io.stderr(line); };
  const { runId } = opts;
  if (Object.keys(opts.options).length) resolveRunConfig(opts.options); // ConfigError before any upload
  if (opts.runIdGiven) {
    const existing = await describeExecution(clients, stack, runId);
    if (existing) throw new InvalidInputError(`run ID ${runId} is already used on stack ${stack.stackName} (${existing.status}); see "rlm status ${runId}" or pick another --run-id`);
  }
  const plan = await planDocuments(opts.documents, stack, runId);
  const request: StartRunRequest = validateStartRequest({
    question: opts.question, documents: plan.documents,
    ...(Object.keys(opts.options).length ? { options: opts.options } : {}),
    ...(opts.tags ? { tags: opts.tags } : {}),
  });
  let uploaded = { files: 0, bytes: 0 };
  if (plan.uploads.length) {
    say(`rlm: uploading ${plan.uploads.length} file(s) to s3://${stack.bucketName}/${uploadPrefixFor(runId)}`);
    const every = Math.max(1, Math.ceil(plan.uploads.length / 10));
    uploaded = await uploadDocuments(clients.s3, stack.bucketName, plan.uploads, (done, total) => {
      if (done % every === 0 && done < total) say(`rlm: uploaded ${done}/${total}`);
    });
    say(`rlm: uploaded ${uploaded.files} file(s), ${formatBytes(uploaded.bytes)}`);
  }
  let executionArn: string;
  try {
    const started = await clients.sfn.send(new StartExecutionCommand({ stateMachineArn: stack.stateMachineArn, name: runId, input: JSON.stringify(request) }));
    executionArn = started.executionArn ?? '';
  } catch (err) {
    if (describeError(err).name === 'ExecutionAlreadyExists') {
      throw new InvalidInputError(`run ID ${runId} is already used on stack ${stack.stackName}; see "rlm status ${runId}" or pick another --run-id`, { cause: err });
    }
    throw err;
  }
  const consoleUrl = consoleUrlFor(executionArn);
  if (!opts.wait) {
    if (opts.output === 'json') {
      io.stdout(JSON.stringify({ runId, stack: stack.stackName, executionArn, consoleUrl, documents: request.documents, uploaded }));
    } else {
      io.stdout(runId);
      say(`rlm: started run ${runId} on stack ${stack.stackName}\nrlm: ${consoleUrl}\nrlm: follow it with "rlm status ${runId}", read it with "rlm result ${runId}"`);
    }
    return 0;
  }
  say(`rlm: started run ${runId} on stack ${stack.stackName}, waiting (Ctrl-C stops waiting, not the run)\nrlm: ${consoleUrl}`);
  const ended = await waitForExecution(clients, stack, runId, {
    pollMs: opts.pollMs, timeoutMs: opts.timeoutMs, sleep: env.sleep, now: env.now,
    ...(opts.quiet ? {} : {
      onIteration: (run) => say(`rlm: turn ${run.iterations}/${run.config.maxIterations} recorded · ${run.status} · sub-calls ${run.totals.subCalls} · ~$${run.totals.costUsd.toFixed(4)}`),
    }),
  });
  if (!ended) {
    if (opts.output === 'json') io.stdout(JSON.stringify({ runId, ready: false, executionArn, consoleUrl }));
    io.stderr(`rlm: run ${runId} is still going after the --timeout; "rlm result ${runId}" reads it once it ends`);
    return 1;
  }
  return showResult(clients, stack, runId, { output: opts.output, ...(opts.trajectory ? { trajectory: opts.trajectory } : {}) }, io);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
