/**
 * Runs whose execution stopped without a task ending them: an execution stopped (StopExecution, the console's
 * Stop), past the state machine's timeout, or failed outside the Catch ends ABORTED / TIMED_OUT / FAILED and
 * RecordFailure never runs. An EventBridge rule on the run state machine's "Step Functions Execution Status
 * Change" events with those statuses targets the EndStoppedRun Lambda (`lambdas/handlers/end-stopped-run.ts`),
 * which stops the run's sandbox sessions and marks a run still `running` cancelled (ABORTED) or failed
 * (`lambdas/core/run/end-stopped-run.ts`). Child runs of the batch machine are executions of the run machine,
 * so the same rule covers them (a batch execution that is stopped stops its children, each with its own event).
 *
 * | principal            | may |
 * |----------------------|-----|
 * | EndStoppedRun Lambda | DynamoDB Get, Query, Put (the stub of a run StartRun never wrote), Update on the run table; Put/Get `results/*`; Stop and List sessions of this code interpreter; PutEvents (source `rlm-pipeline`) |
 *
 * Delivery: Step Functions sends these events best effort; the rule's target retries 8 times within 2 hours
 * (EventBridge retries a failed delivery to Lambda), and the function's asynchronous invocations are retried
 * twice within 6 hours (a handler error, e.g. a session that could not be stopped); what still fails lands in
 * one SQS dead-letter queue (the original event, for redrive). The handler is idempotent: it leaves a run that
 * already ended as it is.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EXECUTION_STATUS_CHANGE, STOPPED_EXECUTION_STATUSES } from '../lambdas/core/run/executions';
import { CODE_INTERPRETER_ACTIONS } from './code-interpreter';
import { acknowledge, NAG_REASONS } from './nag';
import { grantTo, pipelineFunction } from './pipeline-function';
import {
  lambdaEnvironment, publishRunEventsStatement, readResultsStatement, TABLE_ACTIONS, writeResultsStatement, type RunFunctionsProps,
} from './run-functions';

/** Entry file, timeout and memory of EndStoppedRun: sized like RecordFailure (it reads every turn and writes the trajectory). */
export const END_STOPPED_RUN_SPEC = {
  entry: 'end-stopped-run.ts', timeoutSeconds: 300, memoryMb: 1024,
  description: 'rlm-pipeline EndStoppedRun: a run whose execution was stopped, timed out or failed outside the Catch: stop its sandbox, mark it ended',
} as const;

/** Delivery retries of the rule's target (EventBridge to Lambda). */
export const STOPPED_RUN_DELIVERY = { retryAttempts: 8, maxEventAge: Duration.hours(2) } as const;

/** Props of `StoppedRuns`: what the run functions get, and the run state machine whose events it follows. */
export interface StoppedRunsProps extends RunFunctionsProps {
  readonly runStateMachine: sfn.IStateMachine;
}

/** The rule on stopped executions of the run machine, the EndStoppedRun Lambda and their dead-letter queue. */
export class StoppedRuns extends Construct {
  /** The EndStoppedRun Lambda. */
  readonly function: nodejs.NodejsFunction;
  /** The rule on the run machine's ABORTED, TIMED_OUT and FAILED status-change events. */
  readonly rule: events.Rule;
  /** Events that could not be delivered or handled after retries. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: StoppedRunsProps) {
    super(scope, id);
    const { config, bucket, table, codeInterpreter, eventBus, runStateMachine } = props;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED, retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the stopped-run rule and Lambda; a DLQ of the DLQ would only move the finding.');

    this.function = pipelineFunction(this, 'Function', {
      config, entry: END_STOPPED_RUN_SPEC.entry, description: END_STOPPED_RUN_SPEC.description,
      timeout: Duration.seconds(END_STOPPED_RUN_SPEC.timeoutSeconds), memorySize: END_STOPPED_RUN_SPEC.memoryMb,
      environment: lambdaEnvironment(props), deadLetterQueue: this.deadLetterQueue,
      // The writes of RecordFailure: read the run and its turns, write a stub run item or end the run.
      roleStatements: [new iam.PolicyStatement({ sid: 'ConversationTable', actions: TABLE_ACTIONS.recordFailure, resources: [table.tableArn] })],
    });
    grantTo(this.function, writeResultsStatement(bucket), NAG_REASONS.resultsPrefix);
    grantTo(this.function, readResultsStatement(bucket), NAG_REASONS.resultsPrefix);
    grantTo(this.function, publishRunEventsStatement(eventBus));
    codeInterpreter.grantSessionActions(this.function, CODE_INTERPRETER_ACTIONS.stop, CODE_INTERPRETER_ACTIONS.list);

    this.rule = new events.Rule(this, 'ExecutionStopped', {
      description: 'rlm-pipeline: a run execution ABORTED, TIMED_OUT or FAILED ends its run if no task did',
      eventPattern: {
        source: [EXECUTION_STATUS_CHANGE.source],
        detailType: [EXECUTION_STATUS_CHANGE.detailType],
        detail: { stateMachineArn: [runStateMachine.stateMachineArn], status: [...STOPPED_EXECUTION_STATUSES] },
      },
      targets: [new targets.LambdaFunction(this.function, { deadLetterQueue: this.deadLetterQueue, ...STOPPED_RUN_DELIVERY })],
    });
  }
}
