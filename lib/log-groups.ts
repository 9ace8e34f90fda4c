/** Log groups of the stack: every one gets the configured retention and removal policy. */
import { RemovalPolicy } from 'aws-cdk-lib';
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
