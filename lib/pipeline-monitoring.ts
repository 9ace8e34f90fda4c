/**
 * Metrics, an optional dashboard and optional alarms of an `RlmPipeline`. The Lambdas emit their metrics with
 * Powertools (CloudWatch EMF) in the namespace `RlmPipeline` with the dimension `service=rlm-pipeline`
 * (`POWERTOOLS_ENV`): `RunsSucceeded`, `RunsFailed`, `CostUsd` (per finished run), `Turns`, `SubCalls`,
 * `RootInputTokens`, `RootOutputTokens`, `CellSeconds` (per root turn). Two pipelines in one account and
 * region share these metrics; the state machine and queue metrics are per resource.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { POWERTOOLS_ENV } from './pipeline-function';

/** Namespace and dimensions of the metrics the pipeline's Lambdas emit. */
export const PIPELINE_METRICS = {
  namespace: POWERTOOLS_ENV.POWERTOOLS_METRICS_NAMESPACE,
  dimensionsMap: { service: POWERTOOLS_ENV.POWERTOOLS_SERVICE_NAME },
} as const;

/** Names of the metrics the Lambdas emit. */
export type PipelineMetricName =
  | 'RunsSucceeded' | 'RunsFailed' | 'CostUsd' | 'Turns' | 'SubCalls' | 'RootInputTokens' | 'RootOutputTokens' | 'CellSeconds';

/** One of the pipeline's metrics (Sum over 5 minutes unless `props` says otherwise). */
export function pipelineMetric(name: PipelineMetricName, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({ ...PIPELINE_METRICS, metricName: name, statistic: 'Sum', period: Duration.minutes(5), ...props });
}

/** Root tokens (input + output) as one math expression. */
export function tokensMetric(props: cloudwatch.MetricOptions = {}): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'input + output', label: 'Root tokens', period: props.period ?? Duration.minutes(5),
    usingMetrics: { input: pipelineMetric('RootInputTokens', props), output: pipelineMetric('RootOutputTokens', props) },
  });
}

/** Alarms of `RlmPipeline` (each alarm notifies `topic` when given). */
export interface PipelineAlarmOptions {
  /**
   * Alarm when the estimated cost of the runs that ended in one day (UTC days of CloudWatch) is above this (USD).
   * @default no cost alarm
   */
  readonly dailyCostThresholdUsd?: number;
  /**
   * Where the alarms notify.
   * @default no action (the alarms still show in the console and on the dashboard)
   */
  readonly topic?: sns.ITopic;
}

/** Props of `PipelineMonitoring`. */
export interface PipelineMonitoringProps {
  readonly runStateMachine: sfn.IStateMachine;
  readonly batchStateMachine: sfn.IStateMachine;
  readonly triggerDeadLetterQueue: sqs.IQueue;
  /** @default false */
  readonly dashboard?: boolean;
  /** @default no alarms */
  readonly alarms?: PipelineAlarmOptions;
}

/** The dashboard and the alarms. */
export class PipelineMonitoring extends Construct {
  /** The dashboard, when asked for. */
  readonly dashboard?: cloudwatch.Dashboard;
  /** The alarms, by name: runsFailed, executionsFailed, executionsTimedOut, triggerDeadLetters, dailyCost. */
  readonly alarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    const { runStateMachine: runs, triggerDeadLetterQueue: dlq } = props;
    if (props.alarms) {
      const opts = { evaluationPeriods: 1, threshold: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING };
      this.alarms.runsFailed = pipelineMetric('RunsFailed').createAlarm(this, 'RunsFailed', { ...opts, alarmDescription: 'rlm-pipeline: a run failed (RunsFailed >= 1 in 5 minutes)' });
      this.alarms.executionsFailed = runs.metricFailed({ period: Duration.minutes(5) }).createAlarm(this, 'ExecutionsFailed', { ...opts, alarmDescription: 'rlm-pipeline: a run execution failed' });
      this.alarms.executionsTimedOut = runs.metricTimedOut({ period: Duration.minutes(5) }).createAlarm(this, 'ExecutionsTimedOut', { ...opts, alarmDescription: 'rlm-pipeline: a run execution timed out' });
      this.alarms.triggerDeadLetters = dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
        .createAlarm(this, 'TriggerDeadLetters', { ...opts, alarmDescription: 'rlm-pipeline: trigger events that still failed after retries are waiting in the dead-letter queue' });
      if (props.alarms.dailyCostThresholdUsd !== undefined) {
        this.alarms.dailyCost = pipelineMetric('CostUsd', { period: Duration.days(1) }).createAlarm(this, 'DailyCost', {
          ...opts, threshold: props.alarms.dailyCostThresholdUsd, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          alarmDescription: `rlm-pipeline: estimated cost of a day's runs above ${props.alarms.dailyCostThresholdUsd} USD`,
        });
      }
      const topic = props.alarms.topic;
      if (topic) for (const alarm of Object.values(this.alarms)) alarm.addAlarmAction(new cwActions.SnsAction(topic));
    }
    if (props.dashboard) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        widgets: [
          [
            new cloudwatch.GraphWidget({ title: 'Runs', left: [pipelineMetric('RunsSucceeded'), pipelineMetric('RunsFailed')], width: 8 }),
            new cloudwatch.GraphWidget({ title: 'Executions', left: [runs.metricFailed(), runs.metricTimedOut(), runs.metricSucceeded()], width: 8 }),
            new cloudwatch.GraphWidget({ title: 'Estimated cost (USD)', left: [pipelineMetric('CostUsd', { period: Duration.hours(1) })], width: 8 }),
          ],
          [
            new cloudwatch.GraphWidget({ title: 'Root turns and sub-calls', left: [pipelineMetric('Turns'), pipelineMetric('SubCalls')], width: 8 }),
            new cloudwatch.GraphWidget({ title: 'Root tokens', left: [tokensMetric()], width: 8 }),
            new cloudwatch.GraphWidget({ title: 'Trigger dead letters', left: [dlq.metricApproximateNumberOfMessagesVisible()], width: 8 }),
          ],
          ...(Object.keys(this.alarms).length ? [[new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24 })]] : []),
        ],
      });
    }
  }
}
