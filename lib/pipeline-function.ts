/**
 * How every Lambda of the stack is built (the four run functions, the trigger and the batch steps):
 * Node.js 22 on arm64, X-Ray active, its own log group and its own role (own logs and X-Ray only;
 * callers add exactly the grants their handler needs), esbuild bundling with the SDK included.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { pipelineLogGroup } from './log-groups';
import { acknowledgePinnedRuntime, acknowledgeWildcards, acknowledgeXRay } from './nag';
import type { PipelineConfig } from './pipeline-config';

/** esbuild options of every function (exported so tests can check what skipped bundling hides). */
export const LAMBDA_BUNDLING: nodejs.BundlingOptions = {
  minify: true,
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  format: nodejs.OutputFormat.CJS,
  externalModules: [],
};

/** Service name and metrics namespace of Powertools. */
export const POWERTOOLS_ENV = { POWERTOOLS_SERVICE_NAME: 'rlm-pipeline', POWERTOOLS_METRICS_NAMESPACE: 'RlmPipeline' } as const;

/** Options of one pipeline Lambda. */
export interface PipelineFunctionOptions {
  readonly config: PipelineConfig;
  /** Entry file under `lambdas/handlers/`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** The handler's own variables (Powertools and source-map settings are added). */
  readonly environment: Record<string, string>;
  /** Statements put in the role's policy right after its own-logs statement, before the function exists. */
  readonly roleStatements?: iam.PolicyStatement[];
  /** Asynchronous invocations that still fail after 2 retries (or 6 hours) go here. */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * The handler file of `entry` (`root-turn.ts`): the TypeScript source in this repository, or the compiled
 * `.js` next to this module when the construct runs from the package's `dist/` (esbuild bundles either).
 */
export function handlerEntry(entry: string): string {
  const source = path.join(__dirname, '..', 'lambdas', 'handlers', entry);
  return existsSync(source) ? source : source.replace(/\.ts$/, '.js');
}

/** A Lambda with its own role and log group; construct IDs `<id>`, `<id>Role`, `<id>Logs` under `scope`. */
export function pipelineFunction(scope: Construct, id: string, options: PipelineFunctionOptions): nodejs.NodejsFunction {
  const logGroup = pipelineLogGroup(scope, `${id}Logs`, options.config);
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `rlm-pipeline ${options.entry.replace('.ts', '')} Lambda`,
  });
  role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  for (const statement of options.roleStatements ?? []) role.addToPolicy(statement);
  const fn = new nodejs.NodejsFunction(scope, id, {
    entry: handlerEntry(options.entry),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: options.memorySize,
    timeout: options.timeout,
    description: options.description,
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    environment: { ...options.environment, ...POWERTOOLS_ENV, NODE_OPTIONS: '--enable-source-maps' },
    bundling: LAMBDA_BUNDLING,
    ...(options.deadLetterQueue ? { deadLetterQueue: options.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(6) } : {}),
  });
  acknowledgeXRay(role);
  acknowledgePinnedRuntime(fn);
  return fn;
}

/** Grant `statement` to `fn`'s role, acknowledging its prefix wildcards with `reason`. */
export function grantTo(fn: lambda.IFunction, statement: iam.PolicyStatement, reason?: string): void {
  fn.role!.addToPrincipalPolicy(statement);
  if (reason) acknowledgeWildcards(fn.role!, statement, reason);
}
