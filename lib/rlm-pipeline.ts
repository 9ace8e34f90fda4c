/**
 * `RlmPipeline`: the whole pipeline as one reusable construct — storage, sandbox, task functions,
 * state machine — for use in `RlmPipelineStack` or in any other stack.
 *
 * Events go to the account's DEFAULT EventBridge bus (source `rlm-pipeline`, detail types
 * `RLM Run Succeeded` / `RLM Run Failed`): the S3 object events the triggers use arrive there too,
 * consumers need no bus ARN, and two stacks in one account cannot collide on a bus name. The
 * publishers' `events:PutEvents` is limited to that bus, that source and those detail types.
 */
import { Tags } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../lambdas/core/run-events';
import { BatchRunner } from './batch-runner';
import { SandboxCodeInterpreter } from './code-interpreter';
import { checkProfileGeography } from './model-arns';
import { resolvePipelineConfig, type PipelineConfig, type PipelineConfigInput } from './pipeline-config';
import { RunFunctions, type RunFunctionKey } from './run-functions';
import { RunStateMachine } from './run-state-machine';
import { RunTriggers } from './run-triggers';
import { StoppedRuns } from './stopped-runs';
import type { SandboxNetworkOptions } from './sandbox-network';
import { pipelineMetric, PipelineMonitoring, tokensMetric, type PipelineAlarmOptions, type PipelineMetricName } from './pipeline-monitoring';
import { PipelineStorage, S3_PREFIXES } from './storage';

/** Source and detail types of the run events. */
export const RUN_EVENTS = { source: EVENT_SOURCE, detailTypes: EVENT_DETAIL_TYPES } as const;

/** Name of the bus the run events go to. */
export const RUN_EVENT_BUS_NAME = 'default';

/**
 * Props of `RlmPipeline`: the deployment config (each field optional and validated at synth; defaults in
 * `DEFAULT_PIPELINE_CONFIG`, bounds in the settings table), network options, monitoring and tags.
 */
export interface RlmPipelineProps extends PipelineConfigInput {
  /**
   * Options of the sandbox network in `VPC` mode (existing VPC, subnets, AZs, endpoints).
   * @default a new VPC when `networkMode` is `VPC`
   */
  readonly network?: SandboxNetworkOptions;
  /**
   * A CloudWatch dashboard of runs, executions, cost, turns, sub-calls, tokens and trigger dead letters.
   * @default false
   */
  readonly dashboard?: boolean;
  /**
   * Alarms: runs failed, executions failed or timed out, trigger dead-letter queue depth, and (with
   * `dailyCostThresholdUsd`) a day's estimated cost.
   * @default no alarms
   */
  readonly alarms?: PipelineAlarmOptions;
  /**
   * Tags put on every resource of the pipeline (activate them as cost-allocation tags in Billing).
   * @default { 'rlm-pipeline': <construct id> }
   */
  readonly costAllocationTags?: Record<string, string>;
}

/** The RLM pipeline. */
export class RlmPipeline extends Construct {
  /** The validated configuration this pipeline was built with. */
  readonly config: PipelineConfig;
  /** Documents, trigger files and results (see `S3_PREFIXES`). */
  readonly bucket: s3.Bucket;
  /** The conversation table. */
  readonly table: dynamodb.Table;
  /** The sandbox (AgentCore Code Interpreter, its role and network). */
  readonly codeInterpreter: SandboxCodeInterpreter;
  /** The four task functions. */
  readonly functions: Record<RunFunctionKey, nodejs.NodejsFunction>;
  /** The run state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** The bus run events are published to (the default bus). */
  readonly eventBus: events.IEventBus;
  /** Ends the runs of executions stopped, timed out or failed outside the Catch (rule, EndStoppedRun Lambda, DLQ). */
  readonly stoppedRuns: StoppedRuns;
  /** Job manifests (`jobs/`) and watch folders (`inbox/`) that start runs (docs/triggers.md). */
  readonly triggers: RunTriggers;
  /** The batch state machine for `batches/pending/*.jsonl`, scheduled when `schedule` is set. */
  readonly batches: BatchRunner;
  /** The dashboard and alarms (empty unless `dashboard`/`alarms` are set). */
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: RlmPipelineProps = {}) {
    super(scope, id);
    const { network, dashboard, alarms, costAllocationTags, ...input } = props;
    this.config = resolvePipelineConfig(input);
    const region = Stack.of(this).region;
    checkProfileGeography(this.config.rootModelId, region, 'rootModelId');
    for (const m of this.config.subModelIds) checkProfileGeography(m, region, 'subModelIds');

    const storage = new PipelineStorage(this, 'Storage', { config: this.config });
    this.bucket = storage.bucket;
    this.table = storage.table;

    this.eventBus = events.EventBus.fromEventBusName(this, 'EventBus', RUN_EVENT_BUS_NAME);

    this.codeInterpreter = new SandboxCodeInterpreter(this, 'Sandbox', {
      config: this.config, bucket: this.bucket, ...(network ? { network } : {}),
    });

    const functions = new RunFunctions(this, 'Functions', {
      config: this.config, bucket: this.bucket, table: this.table, codeInterpreter: this.codeInterpreter, eventBus: this.eventBus,
    });
    this.functions = functions.functions;

    this.stateMachine = new RunStateMachine(this, 'Runs', { config: this.config, functions: this.functions }).stateMachine;
    this.stoppedRuns = new StoppedRuns(this, 'EndStoppedRun', {
      config: this.config, bucket: this.bucket, table: this.table, codeInterpreter: this.codeInterpreter, eventBus: this.eventBus,
      runStateMachine: this.stateMachine,
    });

    // Watch profiles, schedule and batch concurrency come from the config.
    const { config, bucket, stateMachine: runStateMachine } = this;
    this.triggers = new RunTriggers(this, 'Triggers', { config, bucket, runStateMachine });
    this.batches = new BatchRunner(this, 'Batches', { config, bucket, runStateMachine });

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      runStateMachine, batchStateMachine: this.batches.stateMachine, triggerDeadLetterQueue: this.triggers.deadLetterQueue,
      ...(dashboard ? { dashboard } : {}), ...(alarms ? { alarms } : {}),
    });
    for (const [key, value] of Object.entries(costAllocationTags ?? { 'rlm-pipeline': id })) Tags.of(this).add(key, value);
  }

  /**
   * Let `grantee` start runs: upload documents under `documents/` and start executions of the run state
   * machine (the execution name is the run ID), and follow them (DescribeExecution).
   */
  grantStartRun(grantee: iam.IGrantable): iam.Grant {
    this.bucket.grantPut(grantee, `${S3_PREFIXES.documents}*`);
    this.stateMachine.grantRead(grantee);
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** Let `grantee` read results: `results/` objects (result.json, trajectory.json, artifacts) and the run items. */
  grantReadResults(grantee: iam.IGrantable): iam.Grant {
    this.table.grantReadData(grantee);
    return this.bucket.grantRead(grantee, `${S3_PREFIXES.results}*`);
  }

  /** Runs that failed (Sum over 5 minutes). */
  metricRunsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric { return this.metric('RunsFailed', props); }
  /** Runs that succeeded. */
  metricRunsSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric { return this.metric('RunsSucceeded', props); }
  /** Root turns. */
  metricTurns(props?: cloudwatch.MetricOptions): cloudwatch.Metric { return this.metric('Turns', props); }
  /** Sub-LLM calls made from the sandbox. */
  metricSubCalls(props?: cloudwatch.MetricOptions): cloudwatch.Metric { return this.metric('SubCalls', props); }
  /** Root-model tokens, input + output. */
  metricTokens(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression { return tokensMetric(props); }
  /** Estimated cost of the runs that ended (USD). */
  metricCostUsd(props?: cloudwatch.MetricOptions): cloudwatch.Metric { return this.metric('CostUsd', props); }
  /** Any metric the Lambdas emit (namespace `RlmPipeline`, dimension `service=rlm-pipeline`). */
  metric(name: PipelineMetricName, props?: cloudwatch.MetricOptions): cloudwatch.Metric { return pipelineMetric(name, props); }
}
