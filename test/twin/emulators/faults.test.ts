/** The fault switchboard: counting, arming windows, matching, and the cross-process control endpoint. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FaultSwitchboard, NO_FAULTS, parseFaultSpec } from '../../../twin/faults';
import { FaultClient, faultsFromEnv, serveFaultControl } from '../../../twin/fault-control';

test('a fault skips afterHits matching hits, fires times, and every hit is counted', () => {
  const board = new FaultSwitchboard();
  board.arm({ point: 'dynamodb.PutItem', kind: 'throttle', afterHits: 2, times: 2 });
  const kinds = [1, 2, 3, 4, 5].map(() => board.hit('dynamodb.PutItem')?.kind ?? 'ok');
  expect(kinds).toEqual(['ok', 'ok', 'throttle', 'throttle', 'ok']);
  expect(board.hits('dynamodb.PutItem')).toBe(5);
  expect(board.fired().map((f) => f.hit)).toEqual([3, 4]);
  expect(board.hit('s3.PutObject')).toBeUndefined();
  expect(board.hits()).toEqual({ 'dynamodb.PutItem': 5, 's3.PutObject': 1 });
});

test('where matches the detail; the first armed matching fault wins; reset and disarm clear', () => {
  const board = new FaultSwitchboard();
  const a = board.arm({ point: 'sfn.between-steps', kind: 'kill', where: 'RootTurn', times: Infinity });
  board.arm({ point: 'sfn.between-steps', kind: 'delay', delayMs: 5 });
  expect(board.hit('sfn.between-steps', 'StartRun')?.kind).toBe('delay');
  expect(board.hit('sfn.between-steps', 'RootTurn')?.kind).toBe('kill');
  expect(board.hit('sfn.between-steps', 'RootTurn')?.detail).toBe('RootTurn');
  expect(board.disarm(a)).toBe(true);
  expect(board.hit('sfn.between-steps', 'RootTurn')).toBeUndefined();
  board.reset();
  expect(board.list()).toEqual([]);
  expect(board.hits()).toEqual({});
});

test('bad specs are refused with the field named', () => {
  expect(() => parseFaultSpec({ point: 'bedrock.converse.root', kind: 'explode' })).toThrow(/kind must be one of/);
  expect(() => parseFaultSpec({ point: 'nowhere', kind: 'throttle' })).toThrow(/point/);
  expect(() => parseFaultSpec({ point: 's3.PutObject', kind: 'delay', delayMs: -3 })).toThrow(/delayMs/);
});

test('another process arms and hits through the control endpoint (shared counters)', async () => {
  const board = new FaultSwitchboard();
  const control = await serveFaultControl(board);
  try {
    const client = new FaultClient(control.endpoint);
    const [id] = await client.arm({ point: 'lambda.RootTurn', kind: 'timeout', times: Infinity });
    expect(board.list()[0].times).toBe(Infinity);
    const script = `fetch(process.env.U + '/hit', { method: 'POST', body: JSON.stringify({ point: 'lambda.RootTurn' }) })
      .then((r) => r.json()).then((j) => console.log(j.fault.kind + ' ' + j.fault.times))`;
    const child = await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, U: control.endpoint }, timeout: 20000 });
    expect(child.stdout.trim()).toBe('timeout -1');
    expect((await client.hit('lambda.RootTurn'))?.times).toBe(Infinity);
    expect(board.hits('lambda.RootTurn')).toBe(2);
    expect((await client.state()).fired).toHaveLength(2);
    await client.disarm(id);
    expect(await client.hit('lambda.RootTurn')).toBeUndefined();
    await expect(client.arm({ point: 'lambda.X', kind: 'nope' } as never)).rejects.toThrow(/400 fault spec kind/);
    await client.reset();
    expect(board.hits()).toEqual({});
  } finally {
    await control.close();
  }
});

test('faultsFromEnv: URL gives a client, JSON a private board, nothing gives no faults', async () => {
  expect(faultsFromEnv({})).toBe(NO_FAULTS);
  expect(faultsFromEnv({ RLM_TWIN_FAULTS_URL: 'http://127.0.0.1:1' })).toBeInstanceOf(FaultClient);
  const local = faultsFromEnv({ RLM_TWIN_FAULTS: JSON.stringify([{ point: 's3.PutObject', kind: 'server-error', status: 503 }]) });
  expect((await local.hit('s3.PutObject'))?.status).toBe(503);
  expect(await local.hit('s3.PutObject')).toBeUndefined();
  expect(() => faultsFromEnv({ RLM_TWIN_FAULTS: '{' })).toThrow(/RLM_TWIN_FAULTS is not JSON/);
});
