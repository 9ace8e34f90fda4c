/**
 * Shared by the twin pipeline tests: start one twin (the synthesized stack, cached), S3 helpers
 * against it, and a way to run CLI code with the twin's endpoint variables in process.env.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FaultSwitchboard } from '../../twin/faults';
import type { Script } from '../../lambdas/adapters/models/scripted-model';
import { twinEmulators, type StartedEmulators } from '../../twin/emulators';
import { Twin, type TwinOptions } from '../../twin/twin';

/** A one-turn scripted model: every run answers with the size of its context (root) and "ok" (sub). */
export const ONE_TURN_SCRIPT: Script = {
  root: [{ text: 'Measure and answer.', code: 'answer = f"{len(context)} chars"\nFINAL_VAR("answer")' }],
  sub: { rules: [], default: 'ok' },
} as Script;

/** jest timeout for starting a twin: a cold `cdk synth` takes about a minute on 2 busy cores. */
export const TWIN_START_TIMEOUT_MS = 300_000;

/** jest timeout of one twin test: runs take seconds alone, but 2 shared cores can make that a minute. */
export const TWIN_TEST_TIMEOUT_MS = 240_000;

/** A started twin plus helpers. */
export interface TwinHarness {
  twin: Twin;
  faults: FaultSwitchboard;
  s3: S3Client;
  bucket: string;
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string | undefined>;
  keys(prefix: string): Promise<string[]>;
  /** Run `fn` with the twin's client variables in process.env (restored after). */
  withClientEnv<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Options of {@link startTwinHarness}: the twin's, plus the Bedrock/AgentCore emulators to start. */
export interface TwinHarnessOptions extends TwinOptions {
  /** Start the emulators with this scripted model (they share the harness's fault switchboard). */
  script?: Script | string;
  /** Filled with the started emulators (calls, sessions). */
  started?: StartedEmulators;
}

/** Start a twin for a test file. */
export async function startTwinHarness(options: TwinHarnessOptions = {}): Promise<TwinHarness> {
  const faults = new FaultSwitchboard();
  const { script, started, ...twinOptions } = options;
  const twin = await Twin.start({
    retryDelayOverrideMs: 0, faults, ...twinOptions,
    ...(script ? { emulators: twinEmulators({ script, faults }, started) } : {}),
  });
  const env = twin.clientEnv();
  const s3 = new S3Client({
    region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_S3,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
  const bucket = twin.outputs().BucketName;
  return {
    twin, faults, s3, bucket,
    put: async (key, body) => { await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })); },
    get: async (key) => {
      try {
        return await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
      } catch (err) {
        if ((err as Error).name === 'NoSuchKey') return undefined;
        throw err;
      }
    },
    keys: async (prefix) => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key as string),
    withClientEnv: async (fn) => {
      const saved: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(env)) { saved[k] = process.env[k]; process.env[k] = v; }
      try {
        return await fn();
      } finally {
        for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
      }
    },
    close: () => twin.close(),
  };
}
