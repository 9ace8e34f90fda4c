/**
 * Step Functions in the twin: state machines registered with their synthesized definitions, executed
 * by aws-local-stepfunctions. Every Task goes to a resolver by its `Resource` (a Lambda ARN goes to the
 * Lambda emulation; the service integrations the batch machine uses go to the twin's services), and the
 * fault point `sfn.between-steps` is hit before each Task (detail: the state name).
 */
import '../../bin/local/polyfills';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { FaultHitter } from '../faults';
import { LambdaTaskError } from '../lambda/lambda-emulator';

/** Execution status as DescribeExecution reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution. */
export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Resolves when the execution stops. */
  done: Promise<void>;
  /** State names entered, in order (for assertions and the between-steps table). */
  states: string[];
}

/** An SFN API error (the service's exception names). */
export class SfnApiError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Runs a Task whose Resource is `resource`, with its effective input. */
export type TaskResolver = (resource: string, input: unknown, ctx: { stateName: string; execution: Execution }) => Promise<unknown>;

/** Rewrites a definition before it runs (the batch machine's Distributed Map). */
export type DefinitionTransform = (definition: Record<string, unknown>, sfn: TwinStepFunctions) => {
  definition: Record<string, unknown>;
  extraHandlers?: Record<string, (input: unknown, execution: Execution) => Promise<unknown>>;
};

/** A registered state machine. */
export interface Registered { arn: string; name: string; definition: Record<string, unknown>; extra: Record<string, (input: unknown, execution: Execution) => Promise<unknown>> }

/** Options of {@link TwinStepFunctions}. */
export interface TwinStepFunctionsOptions {
  resolveTask: TaskResolver;
  faults?: FaultHitter;
  /** Retry backoff override (ms) for every retrier (0 in tests); default: the definition's. */
  retryDelayOverrideMs?: number;
  /**
   * Told when an execution starts (RUNNING) and when it stops (its final status, `stopDate` set): the twin turns
   * it into the "Execution Status Change" event (status-events.ts).
   */
  onStatusChange?: (execution: Execution) => void;
}

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * aws-local-stepfunctions fails a Task without `TimeoutSeconds` after 60 s; Step Functions sets no state
 * timeout (the Lambda's own Timeout applies, and the twin enforces that). Such Tasks get the longest
 * timer Node allows (~24.8 days) instead.
 */
export const NO_STATE_TIMEOUT_SECONDS = 2_147_483;

/** A copy of `definition` whose Tasks (nested ItemProcessor/Branches too) without a timeout get {@link NO_STATE_TIMEOUT_SECONDS}. */
export function withoutLocalTaskTimeouts(definition: Record<string, unknown>): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(definition)) as Record<string, unknown>;
  const visit = (d: Record<string, unknown>) => {
    for (const state of Object.values((d.States ?? {}) as Record<string, Record<string, unknown>>)) {
      if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = NO_STATE_TIMEOUT_SECONDS;
      for (const inner of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[] | undefined) ?? [])]) {
        if (inner && typeof inner === 'object') visit(inner as Record<string, unknown>);
      }
    }
  };
  visit(copy);
  return copy;
}

/** The twin's Step Functions service. */
export class TwinStepFunctions {
  private readonly machines = new Map<string, Registered>();
  readonly executions = new Map<string, Execution>();
  private readonly aborters = new Map<string, () => void>();
  /**
   * Steps parked by a `kill` / `timeout` fault (they never continue). Each holds aws-local-stepfunctions' Task
   * timer, which the library clears only when the step settles, so {@link releaseParked} ends them on close.
   */
  private readonly parked = new Set<(err: Error) => void>();

  constructor(private readonly options: TwinStepFunctionsOptions) {}

  /** Register a state machine by ARN (its definition from the template). */
  register(arn: string, definition: Record<string, unknown>, transform?: DefinitionTransform): void {
    const t = transform ? transform(withoutLocalTaskTimeouts(definition), this) : { definition: withoutLocalTaskTimeouts(definition) };
    this.machines.set(arn, { arn, name: arn.split(':').pop() as string, definition: t.definition, extra: t.extraHandlers ?? {} });
  }

  /** A registered machine (throws StateMachineDoesNotExist). */
  registered(arn: string): Registered {
    const m = this.machines.get(arn);
    if (!m) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  /** StartExecution: same name and same input while running returns the running one, else ExecutionAlreadyExists. */
  startExecution(stateMachineArn: string, input: string = '{}', name: string = randomUUID()): Execution {
    const m = this.machines.get(stateMachineArn);
    if (!m) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    if (!EXECUTION_NAME.test(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution: Execution = { executionArn, stateMachineArn, name, status: 'RUNNING', startDate: new Date(), input, done: Promise.resolve(), states: [] };
    this.executions.set(executionArn, execution);
    this.options.onStatusChange?.(execution);
    execution.done = this.execute(m, execution, parsed);
    return execution;
  }

  private handlersFor(m: Registered, execution: Execution, states: Record<string, Record<string, unknown>>) {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of Object.entries(states)) {
      if (state.Type !== 'Task') continue;
      const extra = m.extra[stateName];
      handlers[stateName] = async (input: unknown) => {
        execution.states.push(stateName);
        const fault = await this.options.faults?.hit('sfn.between-steps', stateName);
        if (fault) await this.applyBetweenSteps(fault.kind, fault.delayMs, execution);
        return extra ? extra(input, execution) : this.options.resolveTask(String(state.Resource), input, { stateName, execution });
      };
    }
    return handlers;
  }

  private async applyBetweenSteps(kind: string, delayMs: number | undefined, execution: Execution): Promise<void> {
    if (kind === 'delay') await new Promise((r) => setTimeout(r, delayMs ?? 1000));
    else if (kind === 'throttle') throw new LambdaTaskError('Lambda.TooManyRequestsException', 'Rate Exceeded. (twin fault sfn.between-steps)');
    else if (kind === 'server-error' || kind === 'drop-connection') throw new LambdaTaskError('Lambda.ServiceException', 'Lambda service error (twin fault sfn.between-steps)');
    else if (kind === 'kill' || kind === 'timeout') {
      this.aborters.get(execution.executionArn)?.();
      if (kind === 'timeout') execution.status = 'TIMED_OUT';
      // the execution is gone; this step never continues (until the twin closes: releaseParked)
      await new Promise<void>((_, reject) => { this.parked.add(reject); });
    }
  }

  /** Run a (sub-)definition to completion: its output, or throws its error (name = Error, message = Cause). */
  async runDefinition(m: Registered, definition: Record<string, unknown>, input: unknown, execution: Execution): Promise<unknown> {
    const states = definition.States as Record<string, Record<string, unknown>>;
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false, checkPaths: false } as never });
    const handlers = this.handlersFor(m, execution, states);
    const retryIntervalOverrides = this.options.retryDelayOverrideMs === undefined ? undefined
      : Object.fromEntries(Object.keys(states).map((k) => [k, this.options.retryDelayOverrideMs as number]));
    const run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
      context: {
        Execution: { Id: execution.executionArn, Name: execution.name, Input: JSON.parse(execution.input), StartTime: execution.startDate.toISOString(), RoleArn: 'arn:aws:iam::123456789012:role/twin' },
        StateMachine: { Id: m.arn, Name: m.name },
      } as never,
    });
    if (definition === m.definition) this.aborters.set(execution.executionArn, () => run.abort());
    return run.result;
  }

  private async execute(m: Registered, execution: Execution, input: unknown): Promise<void> {
    try {
      const output = await this.runDefinition(m, m.definition, input, execution);
      execution.output = JSON.stringify(output ?? null);
      execution.status = 'SUCCEEDED';
    } catch (err) {
      // aws-local-stepfunctions wraps the state's error in ExecutionError (cause: the error itself).
      const raw = err as { name?: string; cause?: unknown };
      const e = (raw.name === 'ExecutionError' && raw.cause instanceof Error ? raw.cause : err) as { name?: string; message?: string; cause?: unknown };
      if (execution.status === 'RUNNING') execution.status = e.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
      if (execution.status === 'FAILED') {
        execution.error = e.name;
        execution.cause = typeof e.cause === 'string' ? e.cause : e.message;
      }
    } finally {
      execution.stopDate = new Date();
      this.aborters.delete(execution.executionArn);
      this.options.onStatusChange?.(execution);
    }
  }

  /** DescribeExecution. */
  describe(executionArn: string): Execution {
    const e = this.executions.get(executionArn);
    if (!e) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return e;
  }

  /** ListExecutions (newest first). */
  list(stateMachineArn: string, statusFilter?: string): Execution[] {
    if (!this.machines.has(stateMachineArn)) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return [...this.executions.values()]
      .filter((e) => e.stateMachineArn === stateMachineArn && (!statusFilter || e.status === statusFilter))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  /** End the steps parked by faults (the twin is closing), so no Task timer outlives it. */
  releaseParked(): void {
    for (const reject of this.parked) reject(new Error('the twin was closed'));
    this.parked.clear();
  }

  /** StopExecution. */
  stop(executionArn: string, error?: string, cause?: string): Execution {
    const e = this.describe(executionArn);
    if (e.status === 'RUNNING') {
      e.status = 'ABORTED';
      if (error) e.error = error;
      if (cause) e.cause = cause;
      this.aborters.get(executionArn)?.();
    }
    return e;
  }

  /** Wait until every execution has stopped (bounded by `timeoutMs`). */
  async idle(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      if (Date.now() > until) throw new Error(`${running.length} execution(s) still running after ${timeoutMs} ms`);
      await Promise.race([Promise.all(running.map((e) => e.done)), new Promise((r) => setTimeout(r, 200))]);
    }
  }
}
