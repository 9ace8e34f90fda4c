/**
 * The environment contract between the CDK stack (`lib/`) and the Lambda handlers.
 * The stack sets these variables; `readLambdaEnv` validates them once per container.
 */
import { DEFAULT_MAX_INPUT_CHARS } from '../core/run/start-run';
import { DEFAULT_RUN_CONFIG } from '../core/config';
import { ConfigError } from '../core/errors';

/** Names of the environment variables the stack sets on the run Lambdas. */
export const LAMBDA_ENV = {
  tableName: 'TABLE_NAME',
  bucketName: 'BUCKET_NAME',
  resultsPrefix: 'RESULTS_PREFIX',
  codeInterpreterId: 'CODE_INTERPRETER_ID',
  rootModelId: 'ROOT_MODEL_ID',
  subModelId: 'SUB_MODEL_ID',
  /** Comma-separated sub models the sandbox role may invoke (a run may pick any of them). */
  allowedSubModelIds: 'ALLOWED_SUB_MODEL_IDS',
  maxIterations: 'MAX_ITERATIONS',
  maxOutputChars: 'MAX_OUTPUT_CHARS',
  cellTimeoutMs: 'CELL_TIMEOUT_MS',
  subConcurrency: 'SUB_CONCURRENCY',
  sessionTimeoutSeconds: 'SESSION_TIMEOUT_SECONDS',
  eventBusName: 'EVENT_BUS_NAME',
  runTtlDays: 'RUN_TTL_DAYS',
  /** Largest total input of a run in characters (StartRun refuses more). */
  maxInputChars: 'MAX_INPUT_CHARS',
} as const;

/** Validated Lambda environment. */
export interface LambdaEnv {
  tableName: string;
  bucketName: string;
  resultsPrefix: string;
  codeInterpreterId: string;
  rootModelId: string;
  subModelId: string;
  /** Sub models a run may choose (IAM allows exactly these); defaults to `[subModelId]`. */
  allowedSubModelIds: string[];
  maxIterations: number;
  maxOutputChars: number;
  cellTimeoutMs: number;
  subConcurrency: number;
  sessionTimeoutSeconds: number;
  eventBusName: string;
  runTtlDays: number;
  maxInputChars: number;
  region: string;
}

/** Read and validate the environment. Throws `ConfigError` naming the missing or bad variable. */
export function readLambdaEnv(env: NodeJS.ProcessEnv = process.env): LambdaEnv {
  const str = (key: keyof typeof LAMBDA_ENV, fallback?: string): string => {
    const v = env[LAMBDA_ENV[key]] ?? fallback;
    if (v === undefined || v === '') throw new ConfigError(`environment variable ${LAMBDA_ENV[key]} is not set`);
    return v;
  };
  const int = (key: keyof typeof LAMBDA_ENV, fallback: number): number => {
    const raw = env[LAMBDA_ENV[key]];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`environment variable ${LAMBDA_ENV[key]} must be a positive integer, got "${raw}"`);
    return n;
  };
  const parsed = {
    tableName: str('tableName'),
    bucketName: str('bucketName'),
    resultsPrefix: str('resultsPrefix', 'results/'),
    codeInterpreterId: str('codeInterpreterId'),
    rootModelId: str('rootModelId'),
    subModelId: str('subModelId'),
    allowedSubModelIds: (env[LAMBDA_ENV.allowedSubModelIds] ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    maxIterations: int('maxIterations', DEFAULT_RUN_CONFIG.maxIterations),
    maxOutputChars: int('maxOutputChars', DEFAULT_RUN_CONFIG.maxOutputChars),
    cellTimeoutMs: int('cellTimeoutMs', DEFAULT_RUN_CONFIG.cellTimeoutMs),
    subConcurrency: int('subConcurrency', DEFAULT_RUN_CONFIG.subConcurrency),
    sessionTimeoutSeconds: int('sessionTimeoutSeconds', 28_800),
    eventBusName: str('eventBusName', 'default'),
    runTtlDays: int('runTtlDays', 90),
    maxInputChars: int('maxInputChars', DEFAULT_MAX_INPUT_CHARS),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
  };
  if (!parsed.allowedSubModelIds.includes(parsed.subModelId)) parsed.allowedSubModelIds.unshift(parsed.subModelId);
  return parsed;
}
