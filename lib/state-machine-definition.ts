/**
 * The RLM state machine, in Amazon States Language (JSONPath). This one definition is deployed by
 * the CDK stack (with `${...FunctionArn}` substituted by `definitionSubstitutions`) and executed
 * locally by aws-local-stepfunctions with the same handlers in-process.
 *
 * Pure data: no aws-cdk-lib import, so the local CLI can load it cheaply.
 * The state carries IDs and counters only (`RunState`), never the transcript.
 */
import { RETRYABLE_ERROR_NAMES } from '../lambdas/core/errors';
import { RUN_ID_OF_EXECUTION_PATH } from '../lambdas/core/run/executions';

/** Names of the Task states; the local runner maps each to its handler. */
export const TASK_STATES = {
  startRun: 'StartRun',
  rootTurn: 'RootTurn',
  finalizeRun: 'FinalizeRun',
  recordFailure: 'RecordFailure',
} as const;

/** Substitution keys for the Lambda ARNs (CloudFormation fills them in at deploy). */
export const FUNCTION_ARN_SUBSTITUTIONS = {
  startRun: 'StartRunFunctionArn',
  rootTurn: 'RootTurnFunctionArn',
  finalizeRun: 'FinalizeRunFunctionArn',
  recordFailure: 'RecordFailureFunctionArn',
} as const;

/**
 * Lambda service errors retried like ours. `Lambda.Unknown` is what a Lambda timeout reaches Step Functions as,
 * `Runtime.ExitError` a container killed or crashed mid-invocation (`Runtime exited with error: signal: killed`);
 * retrying them is safe because every step of a task is recorded and replayed (a cell whose fate is unknown is
 * reported to the model as interrupted).
 */
export const LAMBDA_RETRYABLE_ERRORS = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
  'Runtime.ExitError',
];

/** Errors retried with jittered exponential backoff (our named errors + Lambda service errors). */
export const RETRYABLE_ERRORS = [...RETRYABLE_ERROR_NAMES, ...LAMBDA_RETRYABLE_ERRORS];

/** Options of the definition. */
export interface DefinitionOptions {
  /** Retry attempts for throttling/transient errors per task (default 6). */
  retryAttempts?: number;
  /** First retry interval in seconds (default 2). */
  retryIntervalSeconds?: number;
  /** Largest retry interval in seconds (default 60). */
  retryMaxDelaySeconds?: number;
}

type Json = Record<string, unknown>;

/** Build the ASL definition. */
export function buildRunDefinition(options: DefinitionOptions = {}): Json {
  const retry = [
    {
      ErrorEquals: RETRYABLE_ERRORS,
      IntervalSeconds: options.retryIntervalSeconds ?? 2,
      MaxAttempts: options.retryAttempts ?? 6,
      BackoffRate: 2,
      MaxDelaySeconds: options.retryMaxDelaySeconds ?? 60,
      JitterStrategy: 'FULL',
    },
  ];
  const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: TASK_STATES.recordFailure }];
  const arn = (key: string) => '${' + key + '}';
  return {
    Comment: 'rlm-pipeline: one root-LLM turn per Lambda invocation, looping until FINAL or a cap.',
    StartAt: TASK_STATES.startRun,
    States: {
      [TASK_STATES.startRun]: {
        Type: 'Task',
        Comment: 'Validate the request, create the run item, start the sandbox and load the documents.',
        Resource: arn(FUNCTION_ARN_SUBSTITUTIONS.startRun),
        Parameters: { 'request.$': '$', 'runId.$': RUN_ID_OF_EXECUTION_PATH },
        Retry: retry,
        Catch: catchAll,
        Next: TASK_STATES.rootTurn,
      },
      [TASK_STATES.rootTurn]: {
        Type: 'Task',
        Comment: 'One root-model turn: read the conversation, call the root model, run its code, record the turn.',
        Resource: arn(FUNCTION_ARN_SUBSTITUTIONS.rootTurn),
        Parameters: { 'runId.$': '$.runId', 'iteration.$': '$.iteration' },
        Retry: retry,
        Catch: catchAll,
        Next: 'IsDone',
      },
      IsDone: {
        Type: 'Choice',
        Comment: 'Loop until executed code called FINAL/FINAL_VAR or a cap stopped the run.',
        Choices: [{ Variable: '$.done', BooleanEquals: true, Next: TASK_STATES.finalizeRun }],
        Default: TASK_STATES.rootTurn,
      },
      [TASK_STATES.finalizeRun]: {
        Type: 'Task',
        Comment: 'Write the answer and accounting, stop the sandbox, publish the run-finished event.',
        Resource: arn(FUNCTION_ARN_SUBSTITUTIONS.finalizeRun),
        Parameters: { 'runId.$': '$.runId' },
        Retry: retry,
        Catch: catchAll,
        End: true,
      },
      [TASK_STATES.recordFailure]: {
        Type: 'Task',
        Resource: arn(FUNCTION_ARN_SUBSTITUTIONS.recordFailure),
        Parameters: { 'runId.$': RUN_ID_OF_EXECUTION_PATH, 'error.$': '$.error', 'input.$': '$$.Execution.Input' },
        Comment: 'Stop the sandbox first, then mark the run failed (its transcript stays) and publish the failure event.',
        Retry: retry,
        // Should recording the failure itself fail for good, the execution still fails with the original error.
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordFailureError', Next: 'RunFailedUnrecorded' }],
        Next: 'RunFailed',
      },
      RunFailed: {
        Type: 'Fail',
        ErrorPath: '$.errorName',
        CausePath: '$.errorMessage',
      },
      RunFailedUnrecorded: {
        Type: 'Fail',
        Comment: 'RecordFailure failed after its retries: the run item may still say running (see docs/reliability.md).',
        ErrorPath: '$.recordFailureError.Error',
        CausePath: '$.recordFailureError.Cause',
      },
    },
  };
}

/**
 * Replace `${Key}` placeholders the way CloudFormation's `DefinitionSubstitutions` does.
 * Throws if a placeholder has no value, so a local run can never execute a half-substituted definition.
 */
export function substituteDefinition(definition: Json, values: Record<string, string>): Json {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`no substitution for \${${key}} in the state machine definition`);
    return v;
  });
  return JSON.parse(text) as Json;
}

/** Substitutions for running the definition locally: well-formed Lambda ARNs in a fake account. */
export function localFunctionArns(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(FUNCTION_ARN_SUBSTITUTIONS).map(([task, key]) => [key, `arn:aws:lambda:us-east-1:000000000000:function:rlm-local-${task}`]),
  );
}
