/**
 * Lambda emulation: each function of the template runs its cdk.out bundle in warm Node child processes
 * (lambda-runtime.cjs) with exactly the template's environment variables plus the ones the Lambda
 * runtime sets (region, function name, memory, fake credentials) and the standard `AWS_ENDPOINT_URL_*`
 * variables that point every SDK client at the twin. A container is reused between invocations; a
 * second concurrent invocation gets a second container, as Lambda scales out.
 *
 * Errors are what Step Functions sees from Lambda: a handler error becomes an error named by its
 * `errorType` whose message is the JSON payload (the `Cause`); a timeout kills the container and is
 * `Lambda.Unknown` with the real cause text; a crashed container is `Runtime.ExitError`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { FaultHitter } from '../faults';

/** What the twin knows about one function (from the template). */
export interface LambdaFunctionConfig {
  /** Short name used for fault points (`lambda.<shortName>`) and logs, e.g. `RootTurn`. */
  shortName: string;
  functionName: string;
  arn: string;
  /** The cdk.out asset directory (the bundle). */
  assetDir: string;
  /** `Handler` property, e.g. `index.handler`. */
  handler: string;
  /** `Environment.Variables`, resolved. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  logGroupName?: string;
}

/** An error as Step Functions reports a failed Lambda task: `name` = Error, `message` = Cause. */
export class LambdaTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface Container { child: ChildProcess; ready: Promise<void>; busy: boolean; dead: boolean; stderr: string[] }

/** Options of {@link LambdaFunction}. */
export interface LambdaFunctionOptions {
  /** Environment every container gets besides the template's (runtime vars, credentials, endpoints). */
  runtimeEnv: Record<string, string>;
  faults?: FaultHitter;
  /** Forward container stdout/stderr lines here (default: kept, last lines shown on crashes). */
  log?: (fn: string, line: string) => void;
}

/** One emulated function: a pool of warm containers. */
export class LambdaFunction {
  private readonly idle: Container[] = [];
  private readonly all = new Set<Container>();
  /** Every child ever started (killed ones may still be exiting at close). */
  private readonly spawned = new Set<ChildProcess>();
  /** Invocations made (for assertions). */
  invocations = 0;
  /** Containers started (cold starts). */
  coldStarts = 0;
  /** Invocations killed at their timeout. */
  timeouts = 0;

  /** Containers alive now (idle or busy). */
  get liveContainers(): number {
    return this.all.size;
  }

  /** Invocations running now (a stopped execution does not end the task invocation it left running). */
  get inFlight(): number {
    return [...this.all].filter((c) => c.busy).length;
  }

  constructor(readonly config: LambdaFunctionConfig, private readonly options: LambdaFunctionOptions) {}

  private env(): Record<string, string> {
    const c = this.config;
    return {
      ...this.options.runtimeEnv,
      ...c.environment,
      AWS_LAMBDA_FUNCTION_NAME: c.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(c.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: c.logGroupName ?? `/aws/lambda/${c.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `twin/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      LAMBDA_TASK_ROOT: c.assetDir,
      LAMBDA_RUNTIME_DIR: path.dirname(require.resolve('./lambda-runtime.cjs')),
      _HANDLER: c.handler,
    };
  }

  private spawn(): Container {
    this.coldStarts++;
    const child = fork(require.resolve('./lambda-runtime.cjs'), [], {
      env: this.env(),
      cwd: this.config.assetDir,
      execArgv: [`--max-old-space-size=${Math.max(64, Math.floor(this.config.memoryMb * 0.9))}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const c: Container = { child, busy: false, dead: false, stderr: [], ready: Promise.resolve() };
    const keep = (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        this.options.log?.(this.config.shortName, line);
        c.stderr.push(line);
        if (c.stderr.length > 50) c.stderr.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    c.ready = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code, signal) => reject(new LambdaTaskError('Runtime.ExitError',
        JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited during init: ${signal ?? `exit status ${code}`}\n${c.stderr.slice(-10).join('\n')}` }))));
    });
    c.ready.catch(() => undefined);
    child.on('exit', () => { c.dead = true; this.all.delete(c); const i = this.idle.indexOf(c); if (i >= 0) this.idle.splice(i, 1); });
    this.all.add(c);
    this.spawned.add(child);
    child.once('exit', () => this.spawned.delete(child));
    return c;
  }

  private kill(c: Container): void {
    c.dead = true;
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    c.child.kill('SIGKILL');
  }

  private closed = false;

  /** Invoke synchronously (RequestResponse): the handler's result, or a {@link LambdaTaskError}. */
  async invoke(event: unknown): Promise<unknown> {
    if (this.closed) throw new LambdaTaskError('Lambda.ServiceException', JSON.stringify({ errorType: 'ServiceException', errorMessage: 'the twin is shut down' }));
    this.invocations++;
    const requestId = randomUUID();
    const fault = await this.options.faults?.hit(`lambda.${this.config.shortName}`, this.config.functionName);
    if (fault?.kind === 'throttle') throw new LambdaTaskError('Lambda.TooManyRequestsException', JSON.stringify({ errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' }));
    if (fault?.kind === 'server-error') throw new LambdaTaskError('Lambda.ServiceException', JSON.stringify({ errorType: 'ServiceException', errorMessage: fault.message ?? 'Lambda service error (twin fault)' }));
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));

    const c = this.idle.pop() ?? this.spawn();
    c.busy = true;
    await c.ready;
    const timeoutMs = fault?.kind === 'timeout' && fault.delayMs !== undefined ? fault.delayMs : this.config.timeoutSeconds * 1000;
    const deadline = Date.now() + this.config.timeoutSeconds * 1000;
    const id = randomUUID();
    const started = Date.now();
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const onMessage = (msg: { type?: string; id?: string; value?: unknown; error?: { errorType: string; errorMessage: string } }) => {
          if (msg?.type !== 'result' || msg.id !== id) return;
          if (fault?.kind === 'timeout') return; // the fault: the invocation runs on past its timeout
          done();
          if (msg.error) reject(new LambdaTaskError(msg.error.errorType, JSON.stringify(msg.error)));
          else resolve(msg.value);
        };
        const onExit = (code: number | null, signal: string | null) => {
          done();
          const errorMessage = `RequestId: ${requestId} Error: Runtime exited with error: ${signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal}` : `exit status ${code}`}`;
          reject(new LambdaTaskError('Runtime.ExitError', JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage })));
        };
        const timer = setTimeout(() => {
          done();
          this.timeouts++;
          this.kill(c);
          const secs = ((Date.now() - started) / 1000).toFixed(2);
          const payload = JSON.stringify({ errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${secs} seconds` });
          reject(new LambdaTaskError('Lambda.Unknown', `The cause could not be determined because Lambda did not return an error type. Returned payload: ${payload}`));
        }, timeoutMs);
        // The kill fault strikes this invocation only: once it ended, the (warm) container serves the next one intact.
        let killer: NodeJS.Timeout | undefined;
        const done = () => { clearTimeout(timer); clearTimeout(killer); c.child.off('message', onMessage); c.child.off('exit', onExit); };
        c.child.on('message', onMessage);
        c.child.on('exit', onExit);
        c.child.send({ type: 'invoke', id, event, deadline, requestId, functionArn: this.config.arn, traceId: `Root=1-${Math.floor(started / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=0;Lineage=1:twin:0` });
        if (fault?.kind === 'kill' || fault?.kind === 'drop-connection') killer = setTimeout(() => this.kill(c), fault.delayMs ?? 0);
      });
    } finally {
      c.busy = false;
      if (!c.dead) this.idle.push(c);
    }
  }

  /** Kill every container; later invocations fail instead of starting new ones. */
  async close(): Promise<void> {
    this.closed = true;
    const waits = [...this.all].map((c) => new Promise<void>((r) => { if (c.child.exitCode !== null || c.child.signalCode) r(); else { c.child.once('exit', () => r()); this.kill(c); } }));
    this.spawned.forEach((child) => { if (child.exitCode === null && !child.signalCode) child.kill('SIGKILL'); });
    await Promise.all(waits);
  }
}
