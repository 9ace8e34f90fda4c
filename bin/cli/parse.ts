/**
 * Flag parsing of every command: node's `parseArgs` with usage errors turned into `InvalidInputError`s that
 * name the flag and the likely one ("unknown option --questoin; did you mean --question?"), never a raw TypeError.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../../lambdas/core/did-you-mean';
import { InvalidInputError } from '../../lambdas/core/errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs(argv, options)` (strict) for `rlm <command>`; throws `InvalidInputError` for a usage problem. */
export function parseFlags<O extends Options, P extends boolean = false>(
  command: string, argv: string[], options: O, allowPositionals?: P,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: P }>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: (allowPositionals ?? false) as P });
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'(-[^']*)'/.exec(message)?.[1] ?? message;
      const known = Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
      const bare = flag.replace(/=.*$/, '');
      throw new InvalidInputError(`rlm ${command}: unknown option ${bare}${didYouMean(bare, known.filter((k) => k.startsWith('--')))} (see rlm ${command} --help)`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new InvalidInputError(`rlm ${command}: ${message.replace(/\. To specify .*$/s, '')}`);
    }
    throw err;
  }
}

/** The flags that give the question: `--question TEXT`, `--question -` (stdin), `--question-file FILE`. */
export const QUESTION_FLAGS = {
  question: { type: 'string', short: 'q' }, 'question-file': { type: 'string' },
} as const;

/**
 * The question from `--question TEXT`, `--question -` (read all of stdin) or `--question-file FILE`.
 * Throws `InvalidInputError` when none, both, or an empty one is given.
 */
export function questionOf(values: { question?: string; 'question-file'?: string }, readStdin: () => string = () => readFileSync(0, 'utf8')): string {
  const { question, 'question-file': file } = values;
  if (question !== undefined && file !== undefined) throw new InvalidInputError('give --question or --question-file, not both');
  let text: string | undefined = question;
  if (question === '-') text = readStdin();
  else if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InvalidInputError(`--question-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  if (!text?.trim()) {
    throw new InvalidInputError(question === '-' ? '--question -: stdin was empty' : file !== undefined ? `--question-file ${file} is empty` : '--question is required');
  }
  return text.trim();
}
