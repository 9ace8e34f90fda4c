/**
 * The local engine runs its definition without validating it at start (asl-validator costs ~0.5-1.5 s of
 * CPU per `rlm run`); this test is where the definition it executes is validated, with the options
 * aws-local-stepfunctions itself would use (ARNs and JSONPaths checked).
 */
import { localRunDefinition } from '../../bin/local/local-definition';
import { buildRunDefinition, TASK_STATES } from '../../lib/state-machine-definition';

// asl-validator is what aws-local-stepfunctions validates with (its dependency).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown, options: Record<string, unknown>) => { isValid: boolean; errorsText(sep?: string): string };

const validate = (definition: unknown) => aslValidator(definition, { checkArn: true, checkPaths: true });

test('the definition the local engine executes is valid ASL', () => {
  const result = validate(localRunDefinition());
  expect({ valid: result.isValid, errors: result.errorsText('\n') }).toEqual({ valid: true, errors: '' });
});

test('so is the definition with other retry options', () => {
  const result = validate(localRunDefinition(buildRunDefinition({ retryAttempts: 1, retryIntervalSeconds: 1, retryMaxDelaySeconds: 5 })));
  expect(result.isValid).toBe(true);
});

test('the check catches a broken definition (a Next to a state that does not exist)', () => {
  const broken = localRunDefinition();
  const states = broken.States as Record<string, Record<string, unknown>>;
  states[TASK_STATES.startRun]!.Next = 'NoSuchState';
  const result = validate(broken);
  expect(result.isValid).toBe(false);
  expect(result.errorsText('\n')).toMatch(/NoSuchState/);
});
