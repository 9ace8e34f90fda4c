/**
 * What the local engine executes and collects besides the handlers: the state machine definition from
 * `lib/` adapted to run in-process (local task timeouts, local Lambda ARNs), and the run-finished events
 * (locally there is no EventBridge).
 */
import { buildRunDefinition, localFunctionArns, substituteDefinition } from '../../lib/state-machine-definition';
import type { EventPublisher, RunFinishedEvent } from '../../lambdas/core/ports';

/**
 * aws-local-stepfunctions times out a Task without `TimeoutSeconds` after 60 s, where AWS sets no state
 * timeout (the Lambda's own timeout applies): locally a root turn with a long cell, or a slow sandbox
 * start, failed as `States.Timeout` and its handler kept running. There is no Lambda timeout locally (the
 * model-call and cell timeouts bound a task), so tasks get the longest timer Node allows (~24.8 days).
 */
export const LOCAL_TASK_TIMEOUT_SECONDS = 2_147_483;

/** The definition with every Task state given {@link LOCAL_TASK_TIMEOUT_SECONDS} unless it sets its own. */
export function withLocalTaskTimeouts(definition: Record<string, unknown>): Record<string, unknown> {
  const states = definition.States as Record<string, Record<string, unknown>>;
  for (const state of Object.values(states)) {
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = LOCAL_TASK_TIMEOUT_SECONDS;
    }
  }
  return definition;
}

/**
 * The definition the local engine executes: ours with local task timeouts and local Lambda ARNs. The
 * engine does not validate it at start (see `LocalEngine`); test/local/definition-valid.test.ts does.
 */
export function localRunDefinition(definition: Record<string, unknown> = withLocalTaskTimeouts(buildRunDefinition())): Record<string, unknown> {
  return substituteDefinition(definition, localFunctionArns());
}

/** Collects run-finished events (locally there is no EventBridge). */
export class CollectingPublisher implements EventPublisher {
  readonly events: RunFinishedEvent[] = [];
  async runFinished(event: RunFinishedEvent): Promise<void> {
    this.events.push(event);
  }
}
