/**
 * `rlm submit / status / result` against the twin: the CLI's own code, reaching the twin only through
 * the standard endpoint variables (DescribeStacks on moto's CloudFormation gives the twin's outputs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { remoteCommand } from '../../bin/commands/remote';
import { ONE_TURN_SCRIPT, startTwinHarness, TWIN_START_TIMEOUT_MS, type TwinHarness } from './twin-harness';

let h: TwinHarness;
beforeAll(async () => { h = await startTwinHarness({ script: ONE_TURN_SCRIPT }); }, TWIN_START_TIMEOUT_MS);
afterAll(async () => { await h?.close(); });

async function cli(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await h.withClientEnv(() => remoteCommand(name, args, {
    stdout: (s) => { stdout += `${s}\n`; }, stderr: (s) => { stderr += `${s}\n`; },
  }));
  return { code, stdout, stderr };
}

test('submit uploads the documents and starts the execution; status and result read it back', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-twin-cli-'));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'the answer is 42\n');
  const stack = h.twin.template.stackName;
  const submitted = await cli('submit', ['--stack', stack, '--question', 'What is the answer?', '--document', dir,
    '--run-id', 'cli-run-1', '--wait', '--poll', '0.2', '--output', 'json', '--quiet']);
  const prefix = `documents/cli-run-1/${path.basename(dir)}/`;
  expect(await h.keys('documents/cli-run-1/')).toEqual([`${prefix}notes.txt`]);
  expect(await h.get(`${prefix}notes.txt`)).toBe('the answer is 42\n');
  const execution = h.twin.sfn.describe(`${h.twin.outputs().StateMachineArn.replace(':stateMachine:', ':execution:')}:cli-run-1`);
  expect(execution.status).toBe('SUCCEEDED');
  expect(JSON.parse(execution.input)).toEqual(expect.objectContaining({
    question: 'What is the answer?', documents: [`s3://${h.bucket}/${prefix}`],
  }));
  const out = JSON.parse(submitted.stdout.trim().split('\n').pop() as string);
  expect(out.runId).toBe('cli-run-1');
  expect(submitted.code).toBe(0);

  const status = await cli('status', ['cli-run-1', '--stack', stack, '--output', 'json']);
  expect(status.code).toBe(0);
  expect(JSON.stringify(JSON.parse(status.stdout))).toContain(execution.status);

  const result = await cli('result', ['cli-run-1', '--stack', stack, '--output', 'json']);
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual(expect.objectContaining({ runId: 'cli-run-1', answer: '17 chars' }));
});

test('an unknown run is exit 1 for status; a wrong stack name is a ConfigError naming it', async () => {
  const status = await cli('status', ['no-such-run', '--stack', h.twin.template.stackName]);
  expect(status.code).toBe(1);
  await expect(cli('status', ['x', '--stack', 'NoSuchStack'])).rejects.toThrow(/NoSuchStack/);
});
