/** CLI habits: --version, did-you-mean for commands and flags, --question-file / --question -, --strict, short flags. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { questionOf } from '../../bin/cli/parse';
import { exitCodeOf, parseRunArgs } from '../../bin/commands/run';
import { parseSubmitArgs } from '../../bin/commands/remote';
import { main } from '../../bin/rlm';
import type { RunSummary } from '../../lambdas/core/types';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
  return { out, err, restore: () => { o.mockRestore(); e.mockRestore(); } };
}

async function rlm(argv: string[]) {
  const c = capture();
  try {
    const code = await main(argv);
    return { code, out: c.out.join(''), err: c.err.join('') };
  } finally {
    c.restore();
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-cli-'));
writeFileSync(path.join(dir, 'doc.txt'), 'text');

it('prints the package version', async () => {
  const pkg = require('../../package.json') as { version: string };
  expect(await rlm(['--version'])).toMatchObject({ code: 0, out: `${pkg.version}\n` });
  expect(await rlm(['-V'])).toMatchObject({ code: 0, out: `${pkg.version}\n` });
});

it('suggests the command and the flag meant, exit 2, no TypeError', async () => {
  const cmd = await rlm(['rn']);
  expect(cmd.code).toBe(2);
  expect(cmd.err).toMatch(/unknown command "rn"; did you mean "rlm run"\?/);
  const flag = await rlm(['run', '--questoin', 'q', '--document', dir]);
  expect(flag.code).toBe(2);
  expect(flag.err).toMatch(/unknown option --questoin; did you mean --question\?/);
  expect(flag.err).not.toMatch(/TypeError/);
  const missing = await rlm(['run', '--question']);
  expect(missing.code).toBe(2);
  expect(missing.err).toMatch(/argument missing/);
  expect((await rlm(['status', 'r1', '--regoin', 'x'])).err).toMatch(/did you mean --region\?/);
});

it('reads the question from a file or stdin, and refuses both or an empty one', () => {
  const q = path.join(dir, 'q.txt');
  writeFileSync(q, 'line one\nline two\n');
  expect(parseRunArgs(['--question-file', q, '-d', dir]).question).toBe('line one\nline two');
  expect(questionOf({ question: '-' }, () => 'from stdin\n')).toBe('from stdin');
  expect(() => questionOf({ question: '-' }, () => '  ')).toThrow(/stdin was empty/);
  expect(() => questionOf({ question: 'a', 'question-file': q })).toThrow(/not both/);
  expect(() => parseRunArgs(['--question-file', path.join(dir, 'nope.txt'), '-d', dir])).toThrow(/--question-file .*no such file/);
});

it('takes short flags and checks run options against the table bounds', () => {
  const opts = parseRunArgs(['-q', 'why?', '-d', dir, '-n', '5', '-t', '7.5', '-o', 'json', '-l', 'scripted:x.json']);
  expect(opts).toMatchObject({ question: 'why?', documents: [dir], output: 'json', llm: 'scripted:x.json' });
  expect(opts.runDefaults).toMatchObject({ maxIterations: 5, cellTimeoutMs: 7500 });
  expect(() => parseRunArgs(['-q', 'q', '-d', dir, '--max-output-chars', '10'])).toThrow(/--max-output-chars must be from 100 to 1000000, got "10"/);
  expect(parseSubmitArgs(['-q', 'q', '-d', 'x', '--profile', 'dev']).profile).toBe('dev');
});

it('--strict turns a run that did not reach FINAL into exit 3', () => {
  const summary = (stopReason: RunSummary['stopReason'], status: RunSummary['status'] = 'succeeded') => ({ stopReason, status }) as RunSummary;
  expect(exitCodeOf(summary('final'), true)).toBe(0);
  expect(exitCodeOf(summary('iteration_cap'), true)).toBe(3);
  expect(exitCodeOf(summary('limit'), true)).toBe(3);
  expect(exitCodeOf(summary('iteration_cap'), false)).toBe(0);
  expect(exitCodeOf(summary('error', 'failed'), true)).toBe(1);
  expect(parseRunArgs(['-q', 'q', '-d', dir, '--strict']).strict).toBe(true);
});
