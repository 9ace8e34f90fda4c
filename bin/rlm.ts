#!/usr/bin/env node
/**
 * The `rlm` command line: run, batch, submit/status/result (deployed stack), eval. Help, version and the
 * command list load no command module; a command's module is loaded only when that command runs.
 */
import './cli/quiet-sdk';
import { didYouMean } from '../lambdas/core/did-you-mean';
import { describeError } from '../lambdas/core/errors';
import { BATCH_HELP, COMMANDS, HELP, RUN_HELP, version, type CommandName } from './cli/help';
import { exitCodeForError } from './cli/exit-codes';
import { watchSignals, type SignalCancellation } from './cli/signals';

const io = { stdout: (s: string) => process.stdout.write(s + '\n'), stderr: (s: string) => process.stderr.write(s + '\n') };

function isCommand(name: string): name is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

/** Run one command (its module required only now: `rlm --help` loads no SDK, no sandbox). */
async function dispatch(command: CommandName, rest: string[], wantsHelp: boolean, cancel?: SignalCancellation): Promise<number> {
  switch (command) {
    case 'run': {
      if (wantsHelp) { io.stdout(RUN_HELP); return 0; }
      const { parseRunArgs, runCommand } = require('./commands/run') as typeof import('./commands/run');
      return (await runCommand(parseRunArgs(rest), io, cancel)).exitCode;
    }
    case 'resume': {
      const { RESUME_HELP, resumeCommand } = require('./commands/resume') as typeof import('./commands/resume');
      if (wantsHelp) { io.stdout(RESUME_HELP); return 0; }
      return await resumeCommand(rest, io, process.env, cancel);
    }
    case 'batch': {
      if (wantsHelp) { io.stdout(BATCH_HELP); return 0; }
      const { batchCommand } = require('./commands/batch') as typeof import('./commands/batch');
      return await batchCommand(rest, io, cancel);
    }
    case 'eval': {
      const { EVAL_HELP, evalCommand } = require('./commands/eval') as typeof import('./commands/eval');
      if (wantsHelp) { io.stdout(EVAL_HELP); return 0; }
      return await evalCommand(rest, io);
    }
    case 'submit':
    case 'status':
    case 'result': {
      const { remoteCommand } = require('./commands/remote') as typeof import('./commands/remote');
      return await remoteCommand(command, rest, io);
    }
    case 'list':
    case 'show':
    case 'view':
    case 'export': {
      const { viewerCommands } = require('./commands/viewer-commands') as typeof import('./commands/viewer-commands');
      const viewer = viewerCommands[command];
      if (wantsHelp) { io.stdout(viewer.help); return 0; }
      return await viewer.run(rest, io);
    }
  }
}

/** Dispatch a command; returns the exit code (0 ok, 1 failed, 2 bad usage; `rlm run --strict`: 3 without FINAL). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(HELP);
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    io.stdout(version());
    return 0;
  }
  if (!isCommand(command)) {
    io.stderr(`rlm: unknown command "${command}"${didYouMean(command, Object.keys(COMMANDS), (c) => `"rlm ${c}"`)}\n\n${HELP}`);
    return 2;
  }
  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  // Local runs stop on SIGINT/SIGTERM: the run is cancelled and recorded (see bin/cli/signals.ts).
  const cancel = command === 'run' || command === 'resume' || command === 'batch' ? watchSignals({ stderr: io.stderr }) : undefined;
  try {
    return await dispatch(command, rest, wantsHelp, cancel);
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
