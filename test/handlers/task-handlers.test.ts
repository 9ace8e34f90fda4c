import { InvalidInputError } from '../../lambdas/core/errors';
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
  await expect(createRootTurnHandler(unusedDeps)({})).rejects.toThrow(/runId must be/);
});

test('the Lambda environment is validated with the variable named', () => {
  const base = { TABLE_NAME: 't', BUCKET_NAME: 'b', CODE_INTERPRETER_ID: 'ci', ROOT_MODEL_ID: 'r', SUB_MODEL_ID: 's' };
  expect(() => readLambdaEnv({ ...base, TABLE_NAME: '' })).toThrow('environment variable TABLE_NAME is not set');
  expect(() => readLambdaEnv({ ...base, MAX_ITERATIONS: 'x' })).toThrow(/MAX_ITERATIONS must be a positive integer/);
  expect(readLambdaEnv({ ...base, ALLOWED_SUB_MODEL_IDS: 'a, b' }).allowedSubModelIds).toEqual(['s', 'a', 'b']);
  expect(readLambdaEnv(base)).toMatchObject({ maxIterations: 30, resultsPrefix: 'results/', allowedSubModelIds: ['s'] });
});
