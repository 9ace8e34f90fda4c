/**
 * RLM on a deployed stack: the context is uploaded under `documents/`, a Step Functions execution is
 * started (execution name = run ID), polled, and `results/<runId>/result.json` read back. The stack's
 * outputs and its result file are read as `rlm submit` / `rlm result` read them (`bin/remote/`).
 */
import { RUN_ARTIFACT_FILES } from '../../lambdas/core/bucket-layout';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { usageOf, zeroTotals } from '../../lambdas/core/accounting';
import { TRIGGER_PREFIXES } from '../../lambdas/core/batch/layout';
import { describeError } from '../../lambdas/core/errors';
import type { RunConfig, RunSummary, StartRunRequest } from '../../lambdas/core/types';
import { readResult, TERMINAL_STATUSES } from '../remote/runs';
import { readOutputs, resultKeyFor, type RemoteStack } from '../remote/stack';
import { EVAL_DOCUMENT_NAME, type RlmRunner } from './rlm';

/** The stack outputs the runner needs. */
export type StackTarget = Pick<RemoteStack, 'stackName' | 'bucketName' | 'stateMachineArn'>;

/** Read the bucket and state machine from the stack's CloudFormation outputs. Throws `ConfigError`. */
export async function describeStackTarget(cfn: CloudFormationClient, stackName: string): Promise<StackTarget> {
  return { stackName, ...(await readOutputs(cfn, stackName, ['bucketName', 'stateMachineArn'])) };
}

/** Clients and knobs of {@link StackRlmRunner}. */
export interface StackRunnerOptions {
  target: StackTarget;
  s3: S3Client;
  sfn: SFNClient;
  /** Per-run overrides sent as `options` (root/sub model). */
  runOptions?: Partial<RunConfig>;
  /** Poll interval (default 5 s). */
  pollMs?: number;
  /** Give up waiting after this long (default 6 h; the execution keeps running). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Runs RLM questions on a deployed stack. */
export class StackRlmRunner implements RlmRunner {
  readonly description: string;

  /** @param options the stack target and clients. */
  constructor(private readonly options: StackRunnerOptions) {
    this.description = `stack ${options.target.stackName} (${options.target.stateMachineArn})`;
  }

  /** Upload, start, poll, read the result. */
  async run(input: { runId: string; question: string; context: string; tags: Record<string, string> }): Promise<RunSummary> {
    const { target, s3, sfn } = this.options;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const key = `${TRIGGER_PREFIXES.documents}eval/${input.runId}/${EVAL_DOCUMENT_NAME}`;
    const started = Date.now();
    await s3.send(new PutObjectCommand({ Bucket: target.bucketName, Key: key, Body: input.context, ContentType: 'text/plain; charset=utf-8' }));
    const request: StartRunRequest = {
      question: input.question,
      documents: [{ uri: `s3://${target.bucketName}/${key}`, name: EVAL_DOCUMENT_NAME }],
      tags: input.tags,
      ...(this.options.runOptions && Object.keys(this.options.runOptions).length ? { options: this.options.runOptions } : {}),
    };
    const { executionArn } = await sfn.send(new StartExecutionCommand({
      stateMachineArn: target.stateMachineArn, name: input.runId, input: JSON.stringify(request),
    }));
    const deadline = started + (this.options.timeoutMs ?? 6 * 3_600_000);
    let status = 'RUNNING';
    let execError: { name: string; message: string } | undefined;
    while (!TERMINAL_STATUSES.has(status)) {
      if (Date.now() > deadline) {
        return this.failed(input.runId, started, { name: 'EvalTimeoutError', message: `execution ${executionArn} still running after the wait limit` });
      }
      await sleep(this.options.pollMs ?? 5_000);
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      status = d.status ?? 'RUNNING';
      if (status !== 'SUCCEEDED' && TERMINAL_STATUSES.has(status)) execError = { name: d.error ?? `Execution${status}`, message: d.cause ?? status };
    }
    let summary: RunSummary | undefined;
    let missing = 'not written';
    try {
      summary = await readResult({ s3 }, target, input.runId);
    } catch (err) {
      missing = describeError(err).message;
    }
    if (!summary) {
      return this.failed(input.runId, started, execError ?? { name: 'ResultMissingError', message: `no ${resultKeyFor(input.runId, RUN_ARTIFACT_FILES.result)} (${missing})` });
    }
    return { ...summary, elapsedMs: summary.elapsedMs ?? Date.now() - started };
  }

  private failed(runId: string, started: number, error: { name: string; message: string }): RunSummary {
    return { runId, status: 'failed', answer: null, stopReason: 'error', iterations: 0, usage: usageOf(zeroTotals()), costUsd: 0, elapsedMs: Date.now() - started, error };
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
