/**
 * Environment contract between lib/run-triggers.ts, lib/batch-runner.ts and the trigger/batch Lambdas,
 * plus the per-container wiring (S3/SFN clients, Powertools logger) their entry points share.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../core/errors';
import type { Logger } from '../core/ports';
import { createPowertools, loggerPort } from '../adapters/ops/powertools';
import { S3ObjectStore } from '../adapters/s3/s3-object-store';

/** Environment variable names the constructs set. */
export const TRIGGER_ENV = {
  bucketName: 'BUCKET_NAME',
  runStateMachineArn: 'RUN_STATE_MACHINE_ARN',
  /** JSON of the validated `watchProfiles` (at most 3,072 bytes). */
  watchProfiles: 'WATCH_PROFILES',
  resultsPrefix: 'RESULTS_PREFIX',
  /** Manifests one batch execution processes before leaving the rest to the next one. */
  maxManifests: 'MAX_MANIFESTS_PER_EXECUTION',
} as const;

/** A required environment variable; throws `ConfigError` naming it. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (!v) throw new ConfigError(`environment variable ${name} is not set`);
  return v;
}

/** An optional positive integer environment variable. */
export function intEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`environment variable ${name} must be a positive integer, got "${raw}"`);
  return n;
}

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

/** Lazily build a value once per container (first invocation), so import never throws. */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
