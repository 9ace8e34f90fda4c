/**
 * Step Functions -> EventBridge in the twin: the "Step Functions Execution Status Change" event a Standard
 * execution sends to the default bus when it starts and when it ends (shape of the Step Functions developer
 * guide's examples: `detail` with `executionArn`, `stateMachineArn`, `name`, `status`, `startDate`/`stopDate`
 * in epoch ms, `input`/`inputDetails`, `output`/`outputDetails`, `error`, `cause`, `redriveCount`). Delivery
 * to the rules' Lambda targets is `Twin.deliver`'s; on AWS it is best effort.
 */
import { randomUUID } from 'node:crypto';
import { EXECUTION_STATUS_CHANGE } from '../../lambdas/core/run/executions';
import type { EventBridgeEvent } from '../aws-proxy/s3-events';
import type { Execution } from './executions';

/** Escaped input plus output over this many bytes: the input is left out of the event (and the output, if alone over it). */
export const STATUS_EVENT_PAYLOAD_LIMIT = 248 * 1024;

/** The status-change event of `e` as it is now (RUNNING when it started, its final status when it stopped). */
export function executionStatusChangeEvent(e: Execution, account: string, region: string): EventBridgeEvent {
  const escaped = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(JSON.stringify(s)));
  const outputIncluded = escaped(e.output) <= STATUS_EVENT_PAYLOAD_LIMIT;
  const inputIncluded = escaped(e.input) + (outputIncluded ? escaped(e.output) : 0) <= STATUS_EVENT_PAYLOAD_LIMIT;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': EXECUTION_STATUS_CHANGE.detailType,
    source: EXECUTION_STATUS_CHANGE.source,
    account,
    time: (e.stopDate ?? e.startDate).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [e.executionArn],
    detail: {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate.getTime(),
      stopDate: e.stopDate ? e.stopDate.getTime() : null,
      input: inputIncluded ? e.input : null,
      inputDetails: { included: inputIncluded },
      output: e.output !== undefined && outputIncluded ? e.output : null,
      outputDetails: e.output !== undefined ? { included: outputIncluded } : null,
      error: e.error ?? null,
      cause: e.cause ?? null,
      redriveCount: 0,
    },
  };
}
