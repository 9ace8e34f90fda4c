/**
 * `rlm submit`, `rlm status`, `rlm result`: the CLI against a deployed stack, found by its CloudFormation
 * outputs. The work is in `bin/remote/` (stack outputs, uploads, execution and result reading).
 */
import { InvalidInputError } from '../../lambdas/core/errors';
import { DEFAULT_STACK_NAME } from '../../lib/stack-outputs';
import { choiceFlag, numberFlag } from '../cli/args';
import { parseFlags, QUESTION_FLAGS, questionOf } from '../cli/parse';
import { RUN_OPTION_FLAGS, runOptionsFromFlags, runOptionsHelp } from '../cli/run-options';
import { newRunId } from '../cli/run-id';
import { showResult, showStatus, type CliIo } from '../remote/result';
import { assertRunId, createRemoteClients, readStackOutputs, type RemoteClients } from '../remote/stack';
import { submitRun, type SubmitOptions } from '../remote/submit';

const STACK_FLAGS = `  --stack NAME           the deployed stack (default ${DEFAULT_STACK_NAME})
  --region REGION        its region (default: AWS_REGION / your profile's region)
  --profile NAME         the AWS profile of ~/.aws/config to use (default: AWS_PROFILE / default)`;

/** Help text of `rlm submit`. */
export const SUBMIT_HELP = `rlm submit --question TEXT --document PATH|s3://... [--document ...] [options]

Start a run on the deployed stack. Local files and directories are uploaded to
s3://<bucket>/documents/<runId>/ first (text files only; .git and node_modules skipped);
s3:// documents must already be in the stack's bucket under documents/ or inbox/.
Prints the run ID on stdout (the console URL on stderr).

${STACK_FLAGS}
  -d, --document PATH|URI  a local file or directory, or s3://<bucket>/documents/... ; repeat for several
  -q, --question TEXT    the question to answer; "-" reads it from stdin
  --question-file FILE   read the question from FILE
  --run-id ID            the run ID = execution name (letters, digits, - and _; default generated)
  --tag KEY=VALUE        a label stored with the run and its events; repeatable
  --wait                 wait for the run to end and print its result like "rlm result"
  --poll SEC             with --wait: seconds between polls (default 5)
  --timeout SEC          with --wait: stop waiting after this long (the run goes on), exit 1
  --trajectory FILE      with --wait: also download the trajectory JSON
  --output text|json     text (default) or one JSON object on stdout
  --quiet                no progress on stderr
Run options (default: the stack's configuration):
${runOptionsHelp(26).join('\n')}`;

/** Help text of `rlm status`. */
export const STATUS_HELP = `rlm status RUN_ID [--stack NAME] [--region REGION] [--output text|json]

The run's execution (status, start/stop time, error) and its run item (iterations, token totals,
cost estimate, stop reason). Exit 0, or 1 when there is no such run.

${STACK_FLAGS}
  --output text|json     a small table (default) or one JSON object`;

/** Help text of `rlm result`. */
export const RESULT_HELP = `rlm result RUN_ID [--stack NAME] [--region REGION] [--output text|json] [--trajectory FILE]

Read results/<runId>/result.json: the answer on stdout, stop reason and accounting on stderr.
Exit 0 when the run succeeded, 1 when it failed, is still going (says so, with its status) or does not exist.

${STACK_FLAGS}
  --output text|json     text (default) or the result object as JSON on stdout
  --trajectory FILE      also download results/<runId>/trajectory.json to FILE`;

/** `parseArgs` specs of the flags every remote command takes. */
const COMMON_OPTIONS = { stack: { type: 'string' }, region: { type: 'string' }, profile: { type: 'string' }, output: { type: 'string', short: 'o' } } as const;

/** Help text per remote command. */
export const REMOTE_HELP = { submit: SUBMIT_HELP, status: STATUS_HELP, result: RESULT_HELP } as const;

/** The remote commands. */
export type RemoteCommandName = keyof typeof REMOTE_HELP;

/** Injected for tests: clients, clock, sleep, run IDs. */
export interface RemoteDeps {
  clients?: (region?: string) => RemoteClients;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  newRunId?: () => string;
}

/**
 * Run `rlm submit|status|result` with `argv` (after the command name). Returns the exit code; throws
 * `InvalidInputError`/`ConfigError` for usage problems and a missing stack or output (exit 2 in `main`).
 */
export async function remoteCommand(name: string, argv: string[], io: CliIo, deps: RemoteDeps = {}): Promise<number> {
  if (!isRemoteCommand(name)) throw new InvalidInputError(`unknown remote command "${name}" (submit, status, result)`);
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(REMOTE_HELP[name]);
    return 0;
  }
  if (name === 'submit') {
    const parsed = parseSubmitArgs(argv, deps.newRunId ?? newRunId);
    useProfile(parsed.profile);
    const { clients, stack } = await connect(parsed.stack, parsed.region, deps);
    return submitRun(clients, stack, parsed.submit, io, {
      sleep: deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
      now: deps.now ?? Date.now,
    });
  }
  const { values, positionals } = parseFlags(name, argv, { ...COMMON_OPTIONS, ...(name === 'result' ? { trajectory: { type: 'string' } } : {}) } as typeof COMMON_OPTIONS, true);
  useProfile(values.profile);
  if (positionals.length !== 1) throw new InvalidInputError(`rlm ${name} takes exactly one RUN_ID, got ${positionals.length}`);
  const runId = positionals[0];
  assertRunId(runId);
  const output = choiceFlag('output', values.output, ['text', 'json'] as const, 'text');
  const { clients, stack } = await connect(values.stack, values.region, deps);
  if (name === 'status') return showStatus(clients, stack, runId, output, io);
  const trajectory = (values as { trajectory?: string }).trajectory;
  return showResult(clients, stack, runId, { output, ...(trajectory ? { trajectory } : {}) }, io);
}

/** `--profile NAME`: the SDK's default credential and region chain reads AWS_PROFILE when clients resolve them. */
function useProfile(profile: string | undefined): void {
  if (profile !== undefined) {
    if (!profile.trim()) throw new InvalidInputError('--profile must name a profile');
    process.env.AWS_PROFILE = profile.trim();
  }
}

function isRemoteCommand(name: string): name is RemoteCommandName {
  return Object.prototype.hasOwnProperty.call(REMOTE_HELP, name);
}

async function connect(stackName: string | undefined, region: string | undefined, deps: RemoteDeps) {
  const clients = (deps.clients ?? createRemoteClients)(region);
  const stack = await readStackOutputs(clients.cfn, stackName || DEFAULT_STACK_NAME);
  return { clients, stack };
}

/** Parse `rlm submit` argv. Throws `InvalidInputError` naming the bad flag (before any AWS call). */
export function parseSubmitArgs(argv: string[], makeRunId: () => string = newRunId): { stack?: string; region?: string; profile?: string; submit: SubmitOptions } {
  const { values } = parseFlags('submit', argv, {
    ...COMMON_OPTIONS,
    document: { type: 'string', multiple: true, short: 'd' }, ...QUESTION_FLAGS, 'run-id': { type: 'string' },
    tag: { type: 'string', multiple: true }, wait: { type: 'boolean', short: 'w' }, poll: { type: 'string' }, timeout: { type: 'string' },
    trajectory: { type: 'string' }, quiet: { type: 'boolean' },
    ...RUN_OPTION_FLAGS,
  });
  const question = questionOf(values);
  if (!values.document?.length) throw new InvalidInputError('at least one --document PATH|s3://... is required');
  if (!values.wait) {
    for (const flag of ['poll', 'timeout', 'trajectory'] as const) {
      if (values[flag] !== undefined) throw new InvalidInputError(`--${flag} only applies with --wait`);
    }
  }
  const runIdGiven = values['run-id'] !== undefined;
  const runId = values['run-id'] ?? makeRunId();
  assertRunId(runId);
  const options = runOptionsFromFlags(values);
  const timeout = numberFlag('timeout', values.timeout);
  return {
    ...(values.stack ? { stack: values.stack } : {}),
    ...(values.region ? { region: values.region } : {}),
    ...(values.profile ? { profile: values.profile } : {}),
    submit: {
      question, documents: values.document, runId, runIdGiven, options,
      ...(values.tag?.length ? { tags: parseTags(values.tag) } : {}),
      wait: Boolean(values.wait),
      pollMs: Math.round((numberFlag('poll', values.poll) ?? 5) * 1000),
      ...(timeout === undefined ? {} : { timeoutMs: Math.round(timeout * 1000) }),
      output: choiceFlag('output', values.output, ['text', 'json'] as const, 'text'),
      ...(values.trajectory ? { trajectory: values.trajectory } : {}),
      quiet: Boolean(values.quiet),
    },
  };
}

function parseTags(pairs: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new InvalidInputError(`--tag must be KEY=VALUE, got "${pair}"`);
    tags[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return tags;
}
