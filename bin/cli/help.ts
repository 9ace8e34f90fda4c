/**
 * The CLI's command list, top-level help, version and the help of `rlm run` and `rlm batch`: a light module
 * (no SDK, no sandbox), so `rlm --help` and `rlm --version` load nothing else. Run options come from the
 * settings table through `runOptionsHelp()`. The bundle (scripts/build.mjs) replaces this module by its texts,
 * rendered from the table at build time, so a bundled `rlm --help` does not even load the table's zod schemas.
 */
import { runOptionsHelp } from './run-options';

/** The commands and their one-line usage. */
export const COMMANDS = {
  run: 'rlm run      -d PATH... -q TEXT [options]                  run locally (see rlm run --help)',
  resume: 'rlm resume   RUN_ID [--state-dir DIR]                   continue a killed/cancelled/failed local run from its last step',
  batch: 'rlm batch    MANIFEST.jsonl [--concurrency N] [options]   every line of a batch manifest locally',
  eval: 'rlm eval     longbench --data FILE --approach base|long-context|rlm   LongBench v2 evaluation',
  submit: 'rlm submit   -d PATH|s3://... -q TEXT [--wait]            start a run on the deployed stack',
  status: 'rlm status   RUN_ID [--stack NAME]                        a stack run\'s status, turns, tokens, cost',
  result: 'rlm result   RUN_ID [--trajectory FILE]                   a stack run\'s answer and accounting from S3',
  list: 'rlm list     [--state-dir DIR]                            local runs, newest first',
  show: 'rlm show     RUN_ID|PATH                                  a local run\'s outcome and per-turn table',
  view: 'rlm view     RUN_ID|PATH [--out FILE]                     one self-contained HTML page of a run, batch or eval folder',
  export: 'rlm export   RUN_ID|PATH --format rlm-jsonl [--out FILE]  a run in the reference RLM\'s log format',
} as const;

/** A command name. */
export type CommandName = keyof typeof COMMANDS;

/** Top-level help. */
export const HELP = `rlm: Recursive Language Models on one machine, or on your AWS stack.

Commands:
${Object.values(COMMANDS).map((line) => `  ${line}`).join('\n')}

Options: -h, --help (also after a command), -V, --version.
Run "rlm <command> --help" for a command's options.`;

export { version } from './version';

/** Help text of `rlm run`. */
export const RUN_HELP = `rlm run --document PATH [--document PATH ...] --question TEXT [options]

  -d, --document PATH        a text file or a directory (every text file in it); repeat for several documents
  -q, --question TEXT        the question to answer; "-" reads it from stdin
      --question-file FILE   read the question from FILE (multi-line questions)
  -l, --llm SPEC             bedrock (default) | openai | openai:URL | scripted:FILE   (env RLM_LLM)
${runOptionsHelp(26).join('\n')}
      --prices FILE          JSON price table {"model-id-substring": {"input":3,"output":15}} (USD per 1M tokens)
  -o, --output text|json     text: the answer on stdout; json: one object with answer, stopReason, usage...
      --strict               exit 3 unless the run ended with FINAL (stopReason final)
      --record FILE          write a scripted file that replays this run offline
      --state-dir DIR        where results and trajectories go (default .rlm)
      --quiet                no per-turn progress on stderr

Exit code 0 when the run succeeded, 1 when it failed, 2 for bad arguments, 3 with --strict when it
did not end with FINAL.`;

/** Help text of `rlm batch`. */
export const BATCH_HELP = `rlm batch MANIFEST [options]

  MANIFEST                   JSON Lines, one item a line: {"id": "q1", "question": "...", "documents": ["a.txt", "docs/"], "options": {...}}
                             documents are paths relative to the manifest's folder, absolute paths, or file:// URIs
                             (schema: schemas/batch-line.schema.json)
      --concurrency N        items running at once on the one local engine (default 4)
      --out DIR              where results.jsonl and summary.json go (default <manifest folder>/<name>.results/)
  -l, --llm SPEC             bedrock (default) | openai | openai:URL | scripted:FILE   (env RLM_LLM)
${runOptionsHelp(26).join('\n')}
      --prices FILE          JSON price table (USD per 1M tokens)
      --state-dir DIR        where run results and trajectories go (default .rlm)
      --quiet                no per-item progress on stderr
      --fresh-sandboxes      a new sandbox process per item (about 1 s of CPU each), instead of one reset
                             between items (an item whose code used gc or ctypes gets a new one anyway)

A line that cannot run (bad JSON, empty question, missing documents, unknown options) and an item whose
run fails (e.g. a missing document) are reported as failed with a reason; the batch continues.
Prints summary.json to stdout. Exit code 0 when every item succeeded, 1 when any failed, 2 on bad usage.`;
