/**
 * The settings table: every run and pipeline setting declared ONCE, with its type and bounds (a zod schema),
 * default, CLI flag, Lambda environment variable, CDK context key and one help line. Derived from it:
 * the run config (`DEFAULT_RUN_CONFIG`, `resolveRunConfig` in `config.ts`), the CLI's run-option flags and
 * their help (`bin/cli/run-options.ts`), the bounds the pipeline config checks (`lib/pipeline-config.ts`), the
 * known CDK context keys (the "unknown context key ... did you mean ...?" check of `bin/app.ts`) and the JSON
 * Schema of run options (`runOptionsJsonSchema`, used by schemas/).
 */
import { z } from 'zod';

/** Default root model: a Claude Sonnet-class model through a US cross-region inference profile. */
export const DEFAULT_ROOT_MODEL_ID = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
/** Default sub model: Claude Haiku 4.5. */
export const DEFAULT_SUB_MODEL_ID = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';

/** A CLI flag of a setting: `--name VALUE`, optionally `-s VALUE`; the value times `scale` is the setting. */
export interface SettingFlag {
  readonly name: string;
  readonly short?: string;
  /** Shown in help: `N`, `SEC`, `USD`, `ID`. */
  readonly placeholder: string;
  /** Setting = flag value x scale (seconds -> ms: 1000). */
  readonly scale?: number;
}

/** One setting. */
export interface SettingSpec {
  /** Type and bounds, in the setting's own unit. */
  readonly schema: z.ZodType;
  /** Default; absent for optional caps. */
  readonly default?: string | number;
  /** One help line. */
  readonly help: string;
  /** A per-run option (a `RunConfig` field: CLI flags, manifest `options`, `runRlm`). */
  readonly run: boolean;
  /** A deployment setting of the stack (`RlmPipeline` props, CDK context). */
  readonly pipeline: boolean;
  readonly flag?: SettingFlag;
  /** The Lambda environment variable that carries the stack's value. */
  readonly env?: string;
  /** The CDK context key (`-c key=value`). */
  readonly context?: string;
  /** Why values below the minimum are refused (said in the CLI's error). */
  readonly minReason?: string;
}

/**
 * An integer setting from `min` to `max`. The messages are the ones users read (`maxIterations must be at least 1,
 * got 0`), declared with the bounds they explain.
 */
const int = (min: number, max: number) => z.number({ error: 'must be a number' }).int({ error: 'must be an integer' })
  .min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
/** One of `values`, said in the message. */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` });

/**
 * A cell is not started with less time than this left in the turn (core/cell-runner), so a `cellTimeoutMs`
 * below it could never run any code: the table refuses it.
 */
export const MIN_CELL_TIME_MS = 5_000;
const modelId = z.string({ error: 'must be a non-empty string' }).trim().min(1, 'must be a non-empty string');

/** EventBridge Scheduler expressions the stack accepts: `rate(N unit)` or `cron(...)`. */
export const SCHEDULE_EXPRESSION = /^(?:rate\(\s*\d+\s+(?:minute|minutes|hour|hours|day|days)\s*\)|cron\([^()]+\))$/;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The table. Order is the order of help lines. */
export const SETTINGS = {
  rootModelId: {
    schema: modelId, default: DEFAULT_ROOT_MODEL_ID, run: true, pipeline: true,
    flag: { name: 'root-model', short: 'r', placeholder: 'ID' }, env: 'ROOT_MODEL_ID', context: 'rootModelId',
    help: 'root model ID (default a Claude Sonnet-class model on Bedrock)',
  },
  subModelId: {
    schema: modelId, default: DEFAULT_SUB_MODEL_ID, run: true, pipeline: true,
    flag: { name: 'sub-model', short: 's', placeholder: 'ID' }, env: 'SUB_MODEL_ID', context: 'subModelId',
    help: 'sub model ID used by llm_query (default Claude Haiku 4.5); the stack takes a comma-separated list',
  },
  maxIterations: {
    schema: int(1, 200), default: 30, run: true, pipeline: true,
    flag: { name: 'max-iterations', short: 'n', placeholder: 'N' }, env: 'MAX_ITERATIONS', context: 'maxIterations',
    help: 'root turns before the last tool-less call (1-200, default 30)',
  },
  rootMaxOutputTokens: {
    // Explicit: without it Bedrock applies a model default (4,096 for Anthropic models in practice).
    schema: int(1, 128_000), default: 16_000, run: true, pipeline: false,
    flag: { name: 'root-max-tokens', placeholder: 'N' },
    help: 'output-token limit of each root model call (1-128000, default 16000)',
  },
  maxOutputChars: {
    schema: int(100, 1_000_000), default: 20_000, run: true, pipeline: true,
    flag: { name: 'max-output-chars', placeholder: 'N' }, env: 'MAX_OUTPUT_CHARS', context: 'maxOutputChars',
    help: 'cell output shown to the root model, head and tail kept (100-1000000, default 20000)',
  },
  cellTimeoutMs: {
    schema: int(MIN_CELL_TIME_MS, 3_600_000), default: 300_000, run: true, pipeline: true,
    flag: { name: 'cell-timeout', short: 't', placeholder: 'SEC', scale: 1000 }, env: 'CELL_TIMEOUT_MS', context: 'cellTimeoutMs',
    help: 'per-cell time limit in seconds (5-3600, default 300; the stack allows at most 720)',
    minReason: 'a shorter cell could never start',
  },
  subMaxOutputTokens: {
    // Optional: without it each sub-call gets the model's own default (Bedrock: 4,096 for Anthropic models in practice).
    schema: int(1, 128_000), run: true, pipeline: true,
    flag: { name: 'sub-max-tokens', placeholder: 'N' }, env: 'SUB_MAX_OUTPUT_TOKENS', context: 'subMaxOutputTokens',
    help: 'output-token limit of each sub-call (1-128000; default the model\'s own); a reply cut there says so',
  },
  subConcurrency: {
    schema: int(1, 64), default: 16, run: true, pipeline: true,
    flag: { name: 'sub-concurrency', placeholder: 'N' }, env: 'SUB_CONCURRENCY', context: 'subConcurrency',
    help: 'llm_query_batched concurrency (1-64, default 16)',
  },
  maxSubCalls: {
    schema: int(1, Number.MAX_SAFE_INTEGER), run: true, pipeline: false,
    flag: { name: 'max-sub-calls', placeholder: 'N' }, help: 'optional cap on sub-calls per run',
  },
  maxTotalTokens: {
    schema: int(1, Number.MAX_SAFE_INTEGER), run: true, pipeline: false,
    flag: { name: 'max-tokens', placeholder: 'N' }, help: 'optional cap on root+sub tokens per run',
  },
  maxCostUsd: {
    schema: z.number({ error: 'must be a number' }).positive('must be greater than 0'), run: true, pipeline: false,
    flag: { name: 'max-cost', placeholder: 'USD' }, help: 'optional cap on the estimated cost per run (USD)',
  },
  maxConsecutiveErrors: {
    schema: int(1, 100), default: 8, run: true, pipeline: false,
    help: 'root turns in a row whose code failed before the run stops (1-100, default 8)',
  },
  sessionTimeoutSeconds: {
    schema: int(900, 28_800), default: 28_800, run: false, pipeline: true,
    env: 'SESSION_TIMEOUT_SECONDS', context: 'sessionTimeoutSeconds', help: 'AgentCore sandbox session timeout (900-28800 s)',
  },
  networkMode: {
    schema: oneOf(['PUBLIC', 'VPC']), default: 'PUBLIC', run: false, pipeline: true, context: 'networkMode',
    help: 'PUBLIC (sandbox has internet egress) or VPC (private isolated subnets, VPC endpoints only)',
  },
  logRetentionDays: {
    schema: z.union(LOG_RETENTION_DAYS.map((d) => z.literal(d)), { error: `must be one of ${LOG_RETENTION_DAYS.join(', ')} (days)` }), default: 90, run: false, pipeline: true, context: 'logRetentionDays',
    help: 'retention of every log group (a CloudWatch Logs value in days, default 90)',
  },
  removalPolicy: {
    schema: oneOf(['retain', 'destroy']), default: 'retain', run: false, pipeline: true, context: 'removalPolicy',
    help: 'retain (keep bucket, table and logs when the stack is deleted) or destroy',
  },
  maxInputChars: {
    schema: int(1, 2_000_000_000), default: 500_000_000, run: false, pipeline: true, env: 'MAX_INPUT_CHARS', context: 'maxInputChars',
    help: 'largest total input of a run in characters; StartRun refuses more, naming the sizes (default 500000000)',
  },
  runTtlDays: {
    schema: int(1, 3650), default: 90, run: false, pipeline: true, env: 'RUN_TTL_DAYS', context: 'runTtlDays',
    help: 'days until DynamoDB TTL may delete a run\'s items (1-3650, default 90)',
  },
  schedule: {
    schema: z.string({ error: 'must be a string' }).trim().regex(SCHEDULE_EXPRESSION, 'must be an EventBridge schedule expression like rate(1 hour) or cron(0 6 * * ? *)'),
    run: false, pipeline: true, context: 'schedule',
    help: 'EventBridge Scheduler expression (rate(...)/cron(...), UTC) that starts the batch state machine',
  },
  batchMaxConcurrency: {
    schema: int(1, 10_000), default: 10, run: false, pipeline: true, context: 'batchMaxConcurrency',
    help: 'items a batch runs at once (Distributed Map MaxConcurrency, 1-10000, default 10)',
  },
  watchProfiles: {
    schema: z.unknown(), run: false, pipeline: true, context: 'watchProfiles',
    help: 'watch folders inbox/<profile>/ -> standing questions, as JSON (docs/triggers.md)',
  },
} as const satisfies Record<string, SettingSpec>;

/** Name of a setting. */
export type SettingName = keyof typeof SETTINGS;

/** The value type of a setting (its schema's output). */
export type SettingValue<K extends SettingName> = z.infer<(typeof SETTINGS)[K]['schema']>;

/** Settings the stack passes to the Lambdas through an environment variable. */
export type EnvSettingName = { [K in SettingName]: (typeof SETTINGS)[K] extends { env: string } ? K : never }[SettingName];

/** Names of the settings with an environment variable, in table order. */
export const ENV_SETTING_NAMES = (Object.keys(SETTINGS) as SettingName[]).filter((k) => 'env' in SETTINGS[k]) as EnvSettingName[];

/** Names of the per-run settings (the `RunConfig` fields). */
export const RUN_SETTING_NAMES = (Object.keys(SETTINGS) as SettingName[]).filter((k) => SETTINGS[k].run) as RunSettingName[];

/** A per-run setting (`run: true`): a field of `RunConfig`. */
export type RunSettingName = { [K in SettingName]: (typeof SETTINGS)[K]['run'] extends true ? K : never }[SettingName];
/** Run settings with a default: always present in a resolved `RunConfig`. */
type DefaultedRunSettingName = { [K in RunSettingName]: (typeof SETTINGS)[K] extends { default: unknown } ? K : never }[RunSettingName];

/**
 * The run configuration, inferred from the table: a run setting with a default is a required field, one without
 * (an optional cap) an optional field; each typed by its schema. Adding a run setting to the table adds the field.
 */
export type RunSettings =
  & { -readonly [K in DefaultedRunSettingName]: SettingValue<K> }
  & { -readonly [K in Exclude<RunSettingName, DefaultedRunSettingName>]?: SettingValue<K> };

/** A deployment setting (`pipeline: true`): a field of the stack's `PipelineConfig`. */
export type PipelineSettingName = { [K in SettingName]: (typeof SETTINGS)[K]['pipeline'] extends true ? K : never }[SettingName];
/** Pipeline settings with a default: always present in a resolved `PipelineConfig`. */
type DefaultedPipelineSettingName = { [K in PipelineSettingName]: (typeof SETTINGS)[K] extends { default: unknown } ? K : never }[PipelineSettingName];

/**
 * The deployment settings, inferred from the table like {@link RunSettings}: a pipeline setting with a default is
 * a required field, one without an optional field, each typed by its schema (`lib/pipeline-config.ts` builds
 * `PipelineConfig` from it).
 */
export type PipelineSettings =
  & { readonly [K in DefaultedPipelineSettingName]: SettingValue<K> }
  & { readonly [K in Exclude<PipelineSettingName, DefaultedPipelineSettingName>]?: SettingValue<K> };

/** The help line of a run setting as an option field: a flag's unit (seconds) is not the field's (ms). */
function optionHelp(name: RunSettingName): string {
  const spec = SETTINGS[name] as SettingSpec;
  return spec.flag?.scale === 1000 ? `${spec.help}; as this option in milliseconds (the flag's seconds x 1000)` : spec.help;
}

/**
 * Per-run options as untrusted input gives them (manifest `options`, batch lines, watch profiles, the start
 * request): every run setting optional, each checked by its table schema, no other key. The JSON Schema of run
 * options is exported from it.
 */
export const runOptionsSchema = z.strictObject(Object.fromEntries(
  RUN_SETTING_NAMES.map((k) => [k, (SETTINGS[k].schema as z.ZodType).describe(optionHelp(k)).optional()]),
), { error: 'must be an object of run options' }).describe('Per-run options (settings table); unknown keys are refused');

/** Context keys `bin/app.ts` reads that are not settings of the table (stack name and network placement). */
export const EXTRA_CONTEXT_KEYS = ['stackName', 'vpcId', 'vpcAvailabilityZones', 'vpcEndpoints'] as const;

/** Every CDK context key the app knows. */
export const KNOWN_CONTEXT_KEYS: readonly string[] = [
  ...Object.values(SETTINGS as Record<string, SettingSpec>).flatMap((s) => (s.context ? [s.context] : [])),
  ...EXTRA_CONTEXT_KEYS,
];

/** True when a setting's value is a number (its schema is a number or a union of number literals). */
export function isNumericSetting(name: SettingName): boolean {
  const def = (SETTINGS[name].schema as z.ZodType).def as { type: string; options?: Array<{ def: { type: string; values?: unknown[] } }> };
  if (def.type === 'number') return true;
  return def.type === 'union' && (def.options ?? []).every((o) => o.def.type === 'literal' && (o.def.values ?? []).every((v) => typeof v === 'number'));
}

/** Inclusive integer bounds of a numeric setting, read from its schema. */
export function boundsOf(name: SettingName): { min: number; max: number } {
  const schema = SETTINGS[name].schema as unknown as { minValue?: number | null; maxValue?: number | null };
  return { min: schema.minValue ?? -Infinity, max: schema.maxValue ?? Infinity };
}

/** The JSON Schema of per-run options (manifest `options`, batch lines, `runRlm`): every run setting, none other. */
export function runOptionsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(runOptionsSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
