/**
 * `ExecutionStarter` on Step Functions: StartExecution of the run state machine with the run ID as the
 * execution name. `ExecutionAlreadyExists` (a duplicate event for the same object version) resolves
 * `already-started`; StartExecution with the same name and input as a running execution succeeds
 * idempotently, so either way no second run starts.
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionStarter, StartOutcome } from '../../core/batch/ports';
import { InvalidInputError } from '../../core/errors';
import { isValidExecutionName } from '../../core/batch/names';

/** Options of {@link SfnExecutionStarter}. */
export interface SfnExecutionStarterOptions {
  client: SFNClient;
  stateMachineArn: string;
}

/** Starts executions of one state machine. */
export class SfnExecutionStarter implements ExecutionStarter {
  constructor(private readonly options: SfnExecutionStarterOptions) {}

  /** @inheritdoc */
  async start(name: string, input: unknown): Promise<StartOutcome> {
    if (!isValidExecutionName(name)) throw new InvalidInputError(`execution name ${JSON.stringify(name)} is not 1-80 letters, digits, "_" or "-"`);
    try {
      await this.options.client.send(new StartExecutionCommand({
        stateMachineArn: this.options.stateMachineArn, name, input: JSON.stringify(input),
      }));
      return 'started';
    } catch (err) {
      if ((err as { name?: string }).name === 'ExecutionAlreadyExists') return 'already-started';
      throw err;
    }
  }
}
