/**
 * `npm run twin -- <rlm run arguments>`: one question through the deployed code path on the offline
 * twin. The documents are uploaded to the twin's S3 and the execution is started and awaited by the
 * CLI's own `rlm submit --wait` code (which finds the twin by DescribeStacks through the endpoint
 * variables), so it prints what `rlm submit --wait` / `rlm result` print (text, or `--output json`).
 * `--llm scripted:FILE` is served by the twin's Bedrock emulator; the sandbox is the AgentCore emulator.
 */
import { parseArgs } from 'node:util';
import { remoteCommand } from '../bin/commands/remote';
import { RUN_OPTION_FLAGS } from '../bin/cli/run-options';
import { twinEmulators } from './emulators';
import { Twin } from './twin';

/** Help text. */
export const TWIN_HELP = `npm run twin -- --llm scripted:FILE --document PATH [--document ...] --question TEXT [options]

Runs the question through the synthesized stack on the offline twin (docs/twin.md): the cdk.out
bundles in Lambda emulation, the state machine from the template, S3/DynamoDB/EventBridge from moto,
Bedrock and AgentCore emulators. Takes the run options of "rlm run" and --output text|json, --quiet.
  --llm scripted:FILE    the scripted model file the Bedrock emulator answers from (required)
  --keep-going           print the twin's endpoints and keep it running after the run (Ctrl-C stops)`;

/** Output sinks. */
export interface TwinIo { stdout(s: string): void; stderr(s: string): void }

/** Split argv into the twin's own flags and the ones passed on to `rlm submit`. */
export function parseTwinArgs(argv: string[]): { script: string; submitArgs: string[]; quiet: boolean; keepGoing: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      llm: { type: 'string' }, document: { type: 'string', multiple: true }, question: { type: 'string' },
      output: { type: 'string' }, quiet: { type: 'boolean' }, 'keep-going': { type: 'boolean' }, ...RUN_OPTION_FLAGS,
    },
    strict: true, allowPositionals: false,
  });
  const llm = values.llm ?? process.env.RLM_LLM;
  if (!llm?.startsWith('scripted:') || llm.length === 'scripted:'.length) {
    throw new Error(`the twin serves Bedrock from a scripted model file: pass --llm scripted:FILE (got ${llm ? `"${llm}"` : 'none'})`);
  }
  const submitArgs: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (k === 'llm' || k === 'keep-going' || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (typeof item === 'boolean') { if (item) submitArgs.push(`--${k}`); } else submitArgs.push(`--${k}`, String(item));
    }
  }
  return { script: llm.slice('scripted:'.length), submitArgs, quiet: values.quiet === true, keepGoing: values['keep-going'] === true };
}

/** Run the twin command; resolves with the exit code. */
export async function runTwin(argv: string[], io: TwinIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(TWIN_HELP);
    return 0;
  }
  const args = parseTwinArgs(argv);
  const say = (line: string) => { if (!args.quiet) io.stderr(`twin: ${line}`); };
  let twin: Twin | undefined;
  try {
    twin = await Twin.start({ emulators: twinEmulators({ script: args.script }), progress: say });
    const env = twin.clientEnv();
    Object.assign(process.env, env);
    say(`stack ${twin.template.stackName} up (bucket ${twin.outputs().BucketName})`);
    const code = await remoteCommand('submit', ['--stack', twin.template.stackName, '--wait', '--poll', '0.2', ...args.submitArgs], io);
    if (args.keepGoing) {
      for (const [k, v] of Object.entries(env)) io.stderr(`export ${k}=${v}`);
      say('running; Ctrl-C stops it');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return code;
  } finally {
    await twin?.close();
  }
}

if (require.main === module) {
  runTwin(process.argv.slice(2), { stdout: (s) => process.stdout.write(`${s}\n`), stderr: (s) => process.stderr.write(`${s}\n`) })
    .then((code) => process.exit(code))
    .catch((err: Error) => { process.stderr.write(`twin: ${err.message}\n`); process.exit(2); });
}
