/**
 * The offline twin of the deployed pipeline, assembled from the synthesized template: moto (S3,
 * DynamoDB, EventBridge, SQS, STS, CloudFormation) behind the fault proxy, the Step Functions service
 * running the template's definitions, every Node function of the template emulated from its cdk.out
 * bundle, S3 "Object Created" and Step Functions "Execution Status Change" events routed to the rules'
 * Lambda targets, and the endpoints of the Bedrock and AgentCore emulators (twin/emulators, h4) passed in. Clients reach all of it only through
 * the standard `AWS_ENDPOINT_URL_<SERVICE>` variables ({@link Twin.clientEnv}).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { NO_FAULTS, type FaultHitter } from './faults';
import { startAwsProxy, type AwsProxy, type CreatedObjectNotice } from './aws-proxy/aws-proxy';
import { matchesEventPattern, objectCreatedEvent, type EventBridgeEvent } from './aws-proxy/s3-events';
import { LambdaFunction, type LambdaFunctionConfig } from './lambda/lambda-emulator';
import { createMotoResources, startMoto, type MotoServer } from './moto';
import { startSfnApi, type SfnApiServer } from './stepfunctions/api-server';
import { TwinStepFunctions } from './stepfunctions/executions';
import { executionStatusChangeEvent } from './stepfunctions/status-events';
import { distributedMapTransform, serviceTaskResolver } from './stepfunctions/service-tasks';
import { synthAssembly, type Assembly } from './synth';
import { TWIN_ACCOUNT, TWIN_REGION, TwinTemplate } from './template';
import * as path from 'node:path';

/** Options of {@link Twin.start}. */
export interface TwinOptions {
  /** A synthesized assembly to use (default: {@link synthAssembly} of the current sources). */
  assembly?: Assembly;
  /** Where `synthAssembly` caches (default `.rlm/twin`). */
  cacheDir?: string;
  faults?: FaultHitter;
  /** Endpoint of the Bedrock Runtime emulator (Converse), when started by the caller. */
  bedrockRuntimeUrl?: string;
  /** Endpoint of the AgentCore data-plane emulator, when started by the caller. */
  agentCoreUrl?: string;
  /**
   * Starts the Bedrock and AgentCore emulators once the twin's AWS endpoints exist (their sandboxes need
   * them): gets the client environment without the two emulators' endpoints (see twin/emulators.ts).
   */
  emulators?: (awsEnv: Record<string, string>) => Promise<EmulatorEndpoints>;
  /** Retry backoff override (ms) for every retrier of every machine (0 in tests). */
  retryDelayOverrideMs?: number;
  /** Override a function's Timeout (seconds) by short name, e.g. `{ RootTurn: 5 }` for timeout tests. */
  timeoutOverrides?: Record<string, number>;
  /** Lambda container output lines (default: dropped). */
  log?: (fn: string, line: string) => void;
  /** Progress lines while starting (synth, moto). */
  progress?: (line: string) => void;
}

/** Endpoints of the emulators started through {@link TwinOptions.emulators}. */
export interface EmulatorEndpoints {
  bedrockRuntimeUrl: string;
  agentCoreUrl: string;
  close(): Promise<void>;
}

/** A delivery of an EventBridge event to a rule's Lambda target (async invoke). */
export interface EventDelivery {
  event: EventBridgeEvent;
  rule: string;
  functionName: string;
  attempts: number;
  result?: unknown;
  error?: { name: string; message: string };
  done: Promise<void>;
}

const UNREACHABLE = 'http://127.0.0.1:9'; // discard port: nothing listens, so calls fail fast

/** Short name of a function from its CDK path: `.../Functions/RootTurn/Resource` -> `RootTurn`. */
export function functionShortName(cdkPath: string): string {
  const parts = cdkPath.split('/').filter((p) => p !== 'Resource');
  const last = parts.pop() ?? cdkPath;
  const stripped = last.replace(/Function$/, '');
  return stripped || parts.pop() || last;
}

/** The running twin. */
export class Twin {
  readonly functions = new Map<string, LambdaFunction>();
  readonly deliveries: EventDelivery[] = [];
  private readonly byArn = new Map<string, LambdaFunction>();

  private constructor(
    readonly template: TwinTemplate,
    readonly assembly: Assembly,
    readonly moto: MotoServer,
    readonly proxy: AwsProxy,
    readonly sfn: TwinStepFunctions,
    readonly sfnApi: SfnApiServer,
    private endpoints: { bedrockRuntime: string; agentCore: string },
  ) {}

  private closeEmulators?: () => Promise<void>;
  private closing = false;

  /** Synthesize (or reuse) the assembly, start every part and create the template's resources. */
  static async start(options: TwinOptions = {}): Promise<Twin> {
    const assembly = options.assembly ?? await synthAssembly({ ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}), log: options.progress });
    const template = TwinTemplate.load(assembly.templatePath, assembly.stackName);
    const faults = options.faults ?? NO_FAULTS;
    options.progress?.('starting moto');
    const moto = await startMoto();
    let twin: Twin | undefined;
    const proxy = await startAwsProxy({ target: moto.url, faults, onObjectCreated: (n) => twin?.objectCreated(n) });
    const s3 = new S3Client({ region: TWIN_REGION, endpoint: proxy.url, forcePathStyle: true, credentials: { accessKeyId: 'twin', secretAccessKey: 'twin' } });
    const services = serviceTaskResolver(() => sfn, s3);
    const sfn: TwinStepFunctions = new TwinStepFunctions({
      faults,
      ...(options.retryDelayOverrideMs !== undefined ? { retryDelayOverrideMs: options.retryDelayOverrideMs } : {}),
      onStatusChange: (e) => { twin?.deliver(executionStatusChangeEvent(e, TWIN_ACCOUNT, TWIN_REGION)); },
      resolveTask: async (resource, input) => {
        const fn = twin?.byArn.get(resource);
        return fn ? fn.invoke(input) : services(resource, input);
      },
    });
    const sfnApi = await startSfnApi(sfn);
    twin = new Twin(template, assembly, moto, proxy, sfn, sfnApi, {
      bedrockRuntime: options.bedrockRuntimeUrl ?? UNREACHABLE, agentCore: options.agentCoreUrl ?? UNREACHABLE,
    });
    try {
      if (options.emulators) {
        const { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: _b, AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: _a, ...awsEnv } = twin.clientEnv();
        const started = await options.emulators(awsEnv);
        twin.closeEmulators = () => started.close();
        twin.endpoints = { bedrockRuntime: started.bedrockRuntimeUrl, agentCore: started.agentCoreUrl };
      }
      options.progress?.('creating the template\'s resources');
      await twin.createResources();
      for (const id of template.idsOfType('AWS::StepFunctions::StateMachine')) {
        sfn.register(template.physical[id].ref, template.stateMachineDefinition(id), distributedMapTransform(s3));
      }
      twin.createFunctions(faults, options);
    } catch (err) {
      await twin.close();
      throw err;
    }
    return twin;
  }

  /** Environment that points AWS SDK clients (JS and boto3) at the twin, with fake credentials. */
  clientEnv(): Record<string, string> {
    const aws = this.proxy.url;
    return {
      AWS_REGION: TWIN_REGION, AWS_DEFAULT_REGION: TWIN_REGION,
      AWS_ACCESS_KEY_ID: 'ASIATWINFAKEKEY00000', AWS_SECRET_ACCESS_KEY: 'twin-secret', AWS_SESSION_TOKEN: 'twin-session-token',
      AWS_ENDPOINT_URL_S3: aws, AWS_ENDPOINT_URL_DYNAMODB: aws, AWS_ENDPOINT_URL_EVENTBRIDGE: aws,
      AWS_ENDPOINT_URL_SQS: aws, AWS_ENDPOINT_URL_STS: aws, AWS_ENDPOINT_URL_CLOUDFORMATION: aws,
      AWS_ENDPOINT_URL_SFN: this.sfnApi.url,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: this.endpoints.bedrockRuntime,
      AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: this.endpoints.agentCore,
    };
  }

  /** Stack outputs as the CLI reads them (DescribeStacks against the twin returns these). */
  outputs(): Record<string, string> {
    return this.template.outputs();
  }

  /** Physical name (Ref) of the single resource of `type`. */
  ref(type: string, pathSuffix?: string): string {
    const ids = this.template.idsOfType(type);
    const id = pathSuffix ? this.template.idByPath(type, pathSuffix) : ids[0];
    return this.template.physical[id].ref;
  }

  private async createResources(): Promise<void> {
    const t = this.template;
    const notified = new Set<string>();
    for (const id of t.idsOfType('Custom::S3BucketNotifications')) {
      const p = t.props(id);
      if ((p.NotificationConfiguration as Record<string, unknown> | undefined)?.EventBridgeConfiguration) notified.add(String(p.BucketName));
    }
    await createMotoResources(this.moto.url, TWIN_REGION, {
      tables: t.idsOfType('AWS::DynamoDB::Table').map((id) => ({ name: t.physical[id].ref, properties: t.props(id) })),
      buckets: t.idsOfType('AWS::S3::Bucket').map((id) => ({ name: t.physical[id].ref, properties: t.props(id), eventBridge: notified.has(t.physical[id].ref) })),
      queues: t.idsOfType('AWS::SQS::Queue').map((id) => ({ name: t.physical[id].attrs.QueueName, properties: t.props(id) })),
      rules: t.idsOfType('AWS::Events::Rule').map((id) => ({ name: t.physical[id].ref, properties: t.props(id) })),
      stack: { name: t.stackName, outputs: t.outputs() },
    });
  }

  private createFunctions(faults: FaultHitter, options: TwinOptions): void {
    const t = this.template;
    const runtimeEnv: Record<string, string> = {
      ...this.clientEnv(),
      PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: ':UTC', LANG: 'en_US.UTF-8',
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR', AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    };
    for (const id of t.idsOfType('AWS::Lambda::Function')) {
      const p = t.props(id);
      const assetPath = t.resource(id).Metadata?.['aws:asset:path'];
      if (!String(p.Runtime ?? '').startsWith('nodejs') || typeof assetPath !== 'string') continue;
      const shortName = functionShortName(String(t.resource(id).Metadata?.['aws:cdk:path'] ?? id));
      const logGroup = (p.LoggingConfig as { LogGroup?: string } | undefined)?.LogGroup;
      const config: LambdaFunctionConfig = {
        shortName, functionName: t.physical[id].ref, arn: t.physical[id].attrs.Arn,
        assetDir: path.join(this.assembly.dir, assetPath), handler: String(p.Handler ?? 'index.handler'),
        environment: Object.fromEntries(Object.entries(((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables) ?? {}).map(([k, v]) => [k, String(v)])),
        timeoutSeconds: options.timeoutOverrides?.[shortName] ?? Number(p.Timeout ?? 3),
        memoryMb: Number(p.MemorySize ?? 128),
        ...(logGroup ? { logGroupName: logGroup } : {}),
      };
      const fn = new LambdaFunction(config, { runtimeEnv, faults, ...(options.log ? { log: options.log } : {}) });
      this.functions.set(shortName, fn);
      this.byArn.set(config.arn, fn);
    }
  }

  /** A function by short name (`RootTurn`, `Triggers`, `ListPending`, ...). */
  fn(shortName: string): LambdaFunction {
    const f = this.functions.get(shortName);
    if (!f) throw new Error(`the twin has no function ${shortName} (it has ${[...this.functions.keys()].join(', ')})`);
    return f;
  }

  private objectCreated(notice: CreatedObjectNotice): void {
    this.deliver(objectCreatedEvent(notice, TWIN_ACCOUNT, TWIN_REGION));
  }

  /**
   * Put one event on the default bus: every enabled rule whose pattern matches gets it, and each of its
   * Lambda targets is invoked asynchronously with the function's EventInvokeConfig retries.
   * Returns the deliveries made (none when no rule matches).
   */
  deliver(event: EventBridgeEvent): EventDelivery[] {
    const t = this.template;
    const made: EventDelivery[] = [];
    if (this.closing) return made; // the executions close() stops send their events to nobody
    for (const id of t.idsOfType('AWS::Events::Rule')) {
      const p = t.props(id);
      if (p.State === 'DISABLED' || !p.EventPattern) continue;
      if (!matchesEventPattern(p.EventPattern as Record<string, unknown>, event as unknown as Record<string, unknown>)) continue;
      for (const target of (p.Targets as Array<{ Arn: string }> | undefined) ?? []) {
        const fn = this.byArn.get(target.Arn);
        if (!fn) continue;
        const retries = this.asyncRetries(fn.config.functionName);
        const d: EventDelivery = { event, rule: t.physical[id].ref, functionName: fn.config.functionName, attempts: 0, done: Promise.resolve() };
        d.done = (async () => {
          for (;;) {
            d.attempts++;
            try {
              d.result = await fn.invoke(event);
              delete d.error;
              return;
            } catch (err) {
              d.error = { name: (err as Error).name, message: (err as Error).message };
              if (d.attempts > retries) return;
            }
          }
        })();
        this.deliveries.push(d);
        made.push(d);
      }
    }
    return made;
  }

  private asyncRetries(functionName: string): number {
    const t = this.template;
    for (const id of t.idsOfType('AWS::Lambda::EventInvokeConfig')) {
      const p = t.props(id);
      if (p.FunctionName === functionName) return Number(p.MaximumRetryAttempts ?? 2);
    }
    return 2;
  }

  /** Wait until every event delivery and execution has finished (deliveries may start executions and vice versa). */
  async settle(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.deliveries.length;
      await Promise.all(this.deliveries.map((d) => d.done));
      await this.sfn.idle(Math.max(1000, until - Date.now()));
      await new Promise((r) => setTimeout(r, 100)); // an object event of the last write
      const running = [...this.sfn.executions.values()].some((e) => e.status === 'RUNNING');
      if (!running && this.deliveries.length === seen) return;
      if (Date.now() > until) throw new Error(`the twin did not settle within ${timeoutMs} ms`);
    }
  }

  /** Stop everything: running executions (aborted), containers, emulators, servers, moto. */
  async close(): Promise<void> {
    this.closing = true;
    for (const e of this.sfn.executions.values()) if (e.status === 'RUNNING') this.sfn.stop(e.executionArn, 'TwinShutdown', 'the twin was closed');
    await Promise.all([...this.functions.values()].map((f) => f.close()));
    await this.closeEmulators?.();
    await Promise.all([this.sfnApi.close(), this.proxy.close()]);
    await this.moto.stop();
    this.sfn.releaseParked();
  }
}
