#!/usr/bin/env node
/** The `rlm` command line: run, batch, submit/status/result (deployed stack), eval. */
import './cli/quiet-sdk';
import { describeError } from '../lambdas/core/errors';
import { exitCodeForError } from './cli/exit-codes';
import { watchSignals } from './cli/signals';
import { parseRunArgs, RUN_HELP, runCommand } from './commands/run';
import { BATCH_HELP, batchCommand } from './commands/batch';
import { EVAL_HELP, evalCommand } from './commands/eval';
import { remoteCommand } from './commands/remote';
import { RESUME_HELP, resumeCommand } from './commands/resume';

const HELP = `rlm: Recursive Language Models on one machine, or on your AWS stack.

Commands:
  rlm run      --document PATH... --question TEXT [options]   run locally (see rlm run --help)
  rlm resume   RUN_ID [--state-dir DIR]                        continue a killed/cancelled/failed local run from its last step
  rlm batch    MANIFEST.jsonl [--concurrency N] [options]      run every line of a batch manifest locally (see rlm batch --help)
  rlm eval     longbench --data FILE --approach base|long-context|rlm   LongBench v2 evaluation (see rlm eval --help)
  rlm submit   --document PATH|s3://... --question TEXT [--wait]   start a run on the deployed stack (see rlm submit --help)
  rlm status   RUN_ID [--stack NAME]                           a stack run's execution status, turns, tokens, cost
  rlm result   RUN_ID [--trajectory FILE]                      a stack run's answer and accounting from S3

Run "rlm <command> --help" for a command's options.`;

const io = { stdout: (s: string) => process.stdout.write(s + '\n'), stderr: (s: string) => process.stderr.write(s + '\n') };

/** Dispatch a command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(HELP);
    return command ? 0 : 2;
  }
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  // Local runs stop on SIGINT/SIGTERM: the run is cancelled and recorded (see bin/cli/signals.ts).
  const cancel = command === 'run' || command === 'resume' || command === 'batch' ? watchSignals({ stderr: io.stderr }) : undefined;
  try {
    switch (command) {
      case 'run': {
        if (wantsHelp) { io.stdout(RUN_HELP); return 0; }
        return (await runCommand(parseRunArgs(rest), io, cancel)).exitCode;
      }
      case 'resume': {
        if (wantsHelp) { io.stdout(RESUME_HELP); return 0; }
        return await resumeCommand(rest, io, process.env, cancel);
      }
      case 'batch': {
        if (wantsHelp) { io.stdout(BATCH_HELP); return 0; }
        return await batchCommand(rest, io, cancel);
      }
      case 'eval': {
        if (wantsHelp) { io.stdout(EVAL_HELP); return 0; }
        return await evalCommand(rest, io);
      }
      case 'submit':
      case 'status':
      case 'result':
        return await remoteCommand(command, rest, io);
      default:
        io.stderr(`rlm: unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    const { name, message } = describeError(err);
    io.stderr(`rlm ${command}: ${name}: ${message}`);
    return exitCodeForError(err, cancel?.received());
  } finally {
    cancel?.dispose();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
