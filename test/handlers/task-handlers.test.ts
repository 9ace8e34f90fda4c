import { InvalidInputError, RunNotFoundError } from '../../lambdas/core/errors';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { readLambdaEnv } from '../../lambdas/handlers/lambda-env';
import { createRootTurnHandler, createStartRunHandler } from '../../lambdas/handlers/task-handlers';

const unusedDeps = new Proxy({}, { get: () => { throw new Error('deps must not be touched for invalid input'); } }) as EngineDeps;

test('StartRun refuses a run ID that is not a valid execution name, and models the deployment may not invoke', async () => {
  const start = createStartRunHandler(unusedDeps, { runDefaults: {}, allowedModels: { root: ['root-a'], sub: ['sub-a', 'sub-b'] } });
  await expect(start({ runId: 'bad id!', request: {} })).rejects.toThrow(InvalidInputError);
  await expect(start({ runId: 'r1', request: { question: 'q', documents: ['s3://b/k'], options: { subModelId: 'sub-c' } } }))
    .rejects.toThrow('options.subModelId "sub-c" is not allowed by this deployment (allowed: sub-a, sub-b)');
  await expect(start({ runId: 'r1', request: { question: 'q', documents: ['s3://b/k'], options: { rootModelId: 'other' } } }))
    .rejects.toThrow(/rootModelId "other" is not allowed/);
});

test('RootTurn validates its input before touching anything', async () => {
  await expect(createRootTurnHandler(unusedDeps)({})).rejects.toThrow(/runId is missing: it must be/);
});

test('the Lambda environment is validated with the variable named', () => {
  const base = { TABLE_NAME: 't', BUCKET_NAME: 'b', CODE_INTERPRETER_ID: 'ci', ROOT_MODEL_ID: 'r', SUB_MODEL_ID: 's' };
  expect(() => readLambdaEnv({ ...base, TABLE_NAME: '' })).toThrow('environment variable TABLE_NAME is not set');
  expect(() => readLambdaEnv({ ...base, MAX_ITERATIONS: 'x' })).toThrow('environment variable MAX_ITERATIONS must be a number, got "x"');
  expect(() => readLambdaEnv({ ...base, MAX_ITERATIONS: '0' })).toThrow('environment variable MAX_ITERATIONS must be at least 1, got 0');
  expect(readLambdaEnv({ ...base, ALLOWED_SUB_MODEL_IDS: 'a, b' }).allowedSubModelIds).toEqual(['s', 'a', 'b']);
  expect(readLambdaEnv(base)).toMatchObject({ maxIterations: 30, resultsPrefix: 'results/', allowedSubModelIds: ['s'] });
});

test('StartRun refuses inputs over the deployment limit naming the sizes, before a sandbox starts; the setup gets the deadline', async () => {
  const starts: Array<number | undefined> = [];
  const deps = {
    store: { getRun: async () => { throw new RunNotFoundError('absent'); } },
    documents: { resolve: async (uri: string) => [{ name: uri.split('/').pop()!, uri, chars: uri.endsWith('big') ? 700 : 200 }] },
    sandbox: { start: async (o: { deadline?: number }) => { starts.push(o.deadline); throw new Error('stop here'); } },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  } as unknown as EngineDeps;
  const start = createStartRunHandler(deps, { runDefaults: {}, maxInputChars: 800 });
  await expect(start({ runId: 'r2', request: { question: 'q', documents: ['s3://b/big', 's3://b/small'] } }))
    .rejects.toThrow('the documents total 900 characters in 2 document(s), over this deployment\'s limit of 800; largest: big (700), small (200)');
  expect(starts).toEqual([]);
  const before = Date.now();
  await expect(start({ runId: 'r3', request: { question: 'q', documents: ['s3://b/small'] } }, { getRemainingTimeInMillis: () => 60_000 })).rejects.toThrow('stop here');
  expect(starts[0]).toBeGreaterThanOrEqual(before + 60_000 - 10_000);
  expect(starts[0]).toBeLessThanOrEqual(Date.now() + 60_000 - 10_000);
});
