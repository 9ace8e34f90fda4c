/** Log groups of the stack: every one gets the configured retention and removal policy. */
import { Aws, Fn, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PipelineConfig } from './pipeline-config';

/** The removal policy of log groups under `config` (`retain` keeps them after the stack is deleted). */
export function logGroupRemovalPolicy(config: PipelineConfig): RemovalPolicy {
  return config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

/** A log group with the configured retention (validated to a CloudWatch Logs value) and removal policy. */
export function pipelineLogGroup(scope: Construct, id: string, config: PipelineConfig, logGroupName?: string): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: config.logRetentionDays as logs.RetentionDays,
    removalPolicy: logGroupRemovalPolicy(config),
    ...(logGroupName ? { logGroupName } : {}),
  });
}

/** The prefix CloudWatch Logs exempts from the account's resource-policy size limit for vended logs. */
export const VENDED_STATES_LOG_PREFIX = '/aws/vendedlogs/states/';

/**
 * A state machine's log group, named under `/aws/vendedlogs/states/` (generated names outside it each add to
 * the CloudWatch Logs resource policy, whose size limit busy accounts hit). The name ends with the first part
 * of the stack's UUID, so a retained group of a deleted stack never collides with a new stack's.
 */
export function stateMachineLogGroup(scope: Construct, id: string, config: PipelineConfig): logs.LogGroup {
  const stackUuid = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
  const path = Names.uniqueResourceName(scope, { maxLength: 120, separator: '-' });
  const name = `${VENDED_STATES_LOG_PREFIX}${Stack.of(scope).stackName}-${path}-${id}-`;
  return pipelineLogGroup(scope, id, config, Fn.join('', [name, stackUuid]));
}
