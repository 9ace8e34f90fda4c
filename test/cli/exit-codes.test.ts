/** One exit-code rule, by error class: 2 refused input, 1 failed, 128+N cancelled by signal N. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runCliInProcess } from './in-process-cli';
import { exitCodeForError, exitCodeForSummary, signalExitCode } from '../../bin/cli/exit-codes';
import {
  ConfigError, DocumentError, InvalidInputError, ModelInvocationError, ModelNotConfiguredError, RunCancelledError, SandboxError,
} from '../../lambdas/core/errors';

const repo = path.join(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'rlm-exit-'));

const rlm = runCliInProcess;

test('errors map by class, not by name or message', () => {
  for (const E of [InvalidInputError, DocumentError, ConfigError, ModelNotConfiguredError]) expect(exitCodeForError(new E('x'))).toBe(2);
  for (const E of [ModelInvocationError, SandboxError, Error]) expect(exitCodeForError(new E('InvalidInputError: looks like one'))).toBe(1);
  // An error merely *named* like a usage error is not one.
  expect(exitCodeForError(Object.assign(new Error('x'), { name: 'ConfigError' }))).toBe(1);
  // parseArgs's own errors (unknown flag) are usage errors; other TypeErrors are bugs, so 1.
  let parseError: unknown;
  try { parseArgs({ args: ['--nope'], options: {}, strict: true }); } catch (e) { parseError = e; }
  expect(exitCodeForError(parseError)).toBe(2);
  expect(exitCodeForError(new TypeError('x is not a function'))).toBe(1);
  expect(exitCodeForError(new RunCancelledError('cancelled by SIGTERM'), 'SIGTERM')).toBe(143);
  expect(signalExitCode('SIGINT')).toBe(130);
});

test('summaries: succeeded 0, cancelled 130/143, failed at start with a usage error 2, other failures 1', () => {
  expect(exitCodeForSummary({ status: 'succeeded', iterations: 3 })).toBe(0);
  expect(exitCodeForSummary({ status: 'cancelled', iterations: 2 }, 'SIGINT')).toBe(130);
  expect(exitCodeForSummary({ status: 'cancelled', iterations: 2 }, 'SIGTERM')).toBe(143);
  expect(exitCodeForSummary({ status: 'failed', iterations: 0, error: { name: DocumentError.name, message: 'binary' } })).toBe(2);
  expect(exitCodeForSummary({ status: 'failed', iterations: 0, error: { name: 'ModelInvocationError', message: 'denied' } })).toBe(1);
  expect(exitCodeForSummary({ status: 'failed', iterations: 4, error: { name: 'ConfigError', message: 'late' } })).toBe(1);
});

test('--cell-timeout below the minimum is refused with a clear error (it used to run no code at all)', async () => {
  const doc = path.join(dir, 'doc.txt');
  writeFileSync(doc, 'text');
  const res = await rlm(['run', '--question', 'q', '--document', doc, '--cell-timeout', '2', '--llm', `scripted:${path.join(repo, 'examples/demo/script.json')}`]);
  expect(res).toMatchObject({ code: 2, err: expect.stringContaining('--cell-timeout must be at least 5 seconds (a shorter cell could never start), got 2') });
  expect((await rlm(['run', '--question', 'q', '--document', doc, '--unknown-flag'])).code).toBe(2);
});

test('a run refused at start for its input (a binary document) exits 2; the summary says why', async () => {
  const bin = path.join(dir, 'image.bin');
  writeFileSync(bin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]));
  const res = await rlm(['run', '--question', 'q', '--document', bin, '--output', 'json', '--quiet', '--state-dir', path.join(dir, 'state'),
    '--llm', `scripted:${path.join(repo, 'examples/demo/script.json')}`]);
  expect(res.code).toBe(2);
  expect(JSON.parse(res.out)).toMatchObject({ status: 'failed', iterations: 0, error: { name: 'DocumentError' } });
}, 60_000);
