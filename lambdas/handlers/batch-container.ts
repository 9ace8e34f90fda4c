/**
 * What the trigger and batch Lambdas build once per container from the environment (`batch-env.ts`):
 * the S3 object store of the pipeline bucket and the Powertools logger.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { BatchDeps } from '../core/batch/batch-steps';
import type { Logger } from '../core/ports';
import { createPowertools, loggerPort } from '../adapters/ops/powertools';
import { S3ObjectStore } from '../adapters/s3/s3-object-store';
import { requireEnv, TRIGGER_ENV } from './batch-env';
import { BUCKET_PREFIXES } from '../core/bucket-layout';

/** What every trigger/batch Lambda container builds once. */
export interface BatchContainer {
  bucket: string;
  objects: S3ObjectStore;
  logger: Logger;
  region: string;
}

/** Build the shared parts from the environment. */
export function batchContainer(serviceName: string, env: NodeJS.ProcessEnv = process.env): BatchContainer {
  const bucket = requireEnv(TRIGGER_ENV.bucketName, env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const { logger } = createPowertools(serviceName);
  return { bucket, objects: new S3ObjectStore(new S3Client({ region }), bucket), logger: loggerPort(logger), region };
}

/** The dependencies of the three batch steps (ListPending, PrepareBatch, SummarizeBatch). */
export function batchStepDeps(env: NodeJS.ProcessEnv = process.env): BatchDeps {
  const c = batchContainer('rlm-batch', env);
  return { objects: c.objects, bucket: c.bucket, logger: c.logger, resultsPrefix: env[TRIGGER_ENV.resultsPrefix] ?? BUCKET_PREFIXES.results };
}

/** Lazily build a value once per container (first invocation), so import never throws. */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
