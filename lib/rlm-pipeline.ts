/**
 * `RlmPipeline`: the whole pipeline as one reusable construct — storage, sandbox, task functions,
 * state machine — for use in `RlmPipelineStack` or in any other stack.
 *
 * Events go to the account's DEFAULT EventBridge bus (source `rlm-pipeline`, detail types
 * `RLM Run Succeeded` / `RLM Run Failed`): the S3 object events the triggers use arrive there too,
 * consumers need no bus ARN, and two stacks in one account cannot collide on a bus name. The
 * publishers' `events:PutEvents` is limited to that bus, that source and those detail types.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
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
import type { SandboxNetworkOptions } from './sandbox-network';
import { PipelineStorage } from './storage';

/** Source and detail types of the run events. */
export const RUN_EVENTS = { source: EVENT_SOURCE, detailTypes: EVENT_DETAIL_TYPES } as const;

/** Name of the bus the run events go to. */
export const RUN_EVENT_BUS_NAME = 'default';

/** Props of `RlmPipeline`: the deployment config (validated; defaults in `DEFAULT_PIPELINE_CONFIG`) plus network options. */
export interface RlmPipelineProps extends PipelineConfigInput {
  /** Options of the sandbox network in `VPC` mode (existing VPC, subnets, AZs, endpoints). */
  readonly network?: SandboxNetworkOptions;
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
  /** Job manifests (`jobs/`) and watch folders (`inbox/`) that start runs (docs/triggers.md). */
  readonly triggers: RunTriggers;
  /** The batch state machine for `batches/pending/*.jsonl`, scheduled when `schedule` is set. */
  readonly batches: BatchRunner;

  constructor(scope: Construct, id: string, props: RlmPipelineProps = {}) {
    super(scope, id);
    const { network, ...input } = props;
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

    // Watch profiles, schedule and batch concurrency come from the config.
    const { config, bucket, stateMachine: runStateMachine } = this;
    this.triggers = new RunTriggers(this, 'Triggers', { config, bucket, runStateMachine });
    this.batches = new BatchRunner(this, 'Batches', { config, bucket, runStateMachine });
  }
}
