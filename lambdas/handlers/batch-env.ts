/**
 * Environment contract between lib/run-triggers.ts, lib/batch-runner.ts and the trigger/batch Lambdas.
 * Names and parsing only (the stack imports it at synth); the per-container wiring is in batch-container.ts.
 */
import { ConfigError } from '../core/errors';

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
