/**
 * Reading a Step Functions "Execution Status Change" event (lambdas/core/run/executions.ts) and how the run of a
 * stopped execution ends (end-stopped-run.ts `endingOf`). Pure; the whole path runs on the twin in
 * test/twin/stopped-runs.test.ts.
 */
import { ExecutionFailedError, ExecutionTimedOutError, InvalidInputError } from '../../lambdas/core/errors';
import { endingOf } from '../../lambdas/core/run/end-stopped-run';
import { stoppedExecutionOf } from '../../lambdas/core/run/executions';

const RUN = 'run-2026-12-02-abcdef12';
const event = (detail: Record<string, unknown>) => ({
  version: '0', 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: {
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:rlm-run:${RUN}`,
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:rlm-run', name: RUN, status: 'ABORTED',
    input: JSON.stringify({ question: 'q' }), inputDetails: { included: true }, error: null, cause: null, ...detail,
  },
});

test('an ABORTED, TIMED_OUT or FAILED execution of a run is read with its run ID, error, cause and input', () => {
  expect(stoppedExecutionOf(event({ status: 'ABORTED', error: 'user', cause: 'stopped from the console' }))).toEqual({
    runId: RUN, executionArn: expect.stringContaining(RUN), status: 'ABORTED', error: 'user', cause: 'stopped from the console', input: { question: 'q' },
  });
  expect(stoppedExecutionOf(event({ status: 'TIMED_OUT' }))?.status).toBe('TIMED_OUT');
  expect(stoppedExecutionOf(event({ status: 'FAILED', inputDetails: { included: false } }))).not.toHaveProperty('input');
});

test('other statuses, names that are no run ID and unreadable input are not acted on or dropped', () => {
  for (const status of ['RUNNING', 'SUCCEEDED', 'PENDING_REDRIVE']) expect(stoppedExecutionOf(event({ status }))).toBeUndefined();
  expect(stoppedExecutionOf(event({ name: 'not a run id!' }))).toBeUndefined();
  expect(stoppedExecutionOf(event({ input: '{not json' }))).not.toHaveProperty('input');
  expect(() => stoppedExecutionOf({ detail: { status: 'ABORTED' } })).toThrow(InvalidInputError);
  expect(() => stoppedExecutionOf(null)).toThrow(InvalidInputError);
});

test('ABORTED ends the run cancelled; TIMED_OUT and FAILED end it failed with their named errors', () => {
  const aborted = endingOf(stoppedExecutionOf(event({ status: 'ABORTED', error: 'user', cause: 'why' }))!);
  expect(aborted).toMatchObject({ status: 'cancelled', stopReason: 'cancelled' });
  expect(aborted.stopDetail).toContain('ABORTED');
  expect(aborted.stopDetail).toContain('user: why');
  const timedOut = endingOf(stoppedExecutionOf(event({ status: 'TIMED_OUT' }))!);
  expect(timedOut).toMatchObject({ status: 'failed', stopReason: 'error', error: { name: new ExecutionTimedOutError('x').name } });
  const failed = endingOf(stoppedExecutionOf(event({ status: 'FAILED', error: 'States.Runtime' }))!);
  expect(failed).toMatchObject({ status: 'failed', error: { name: new ExecutionFailedError('x').name } });
  expect(failed.stopDetail).toContain('States.Runtime');
});
