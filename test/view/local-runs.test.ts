/**
 * `rlm list`, `rlm show`, `rlm export` and `rlm view` (HTML content) over real local runs: one that ends
 * with FINAL after a failed cell and a batch of sub-calls, one that fails and keeps its transcript, and
 * a run folder damaged in the ways a killed run leaves it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCliInProcess } from '../cli/in-process-cli';
import type { RunSummary } from '../../lambdas/core/types';
import { FAILING_SCRIPT, GOOD_SCRIPT, runScripted, writeDocs } from './fixtures';

let dir: string;
let state: string;
let good: RunSummary;
let bad: RunSummary;
let goodStderr: string[];

const cli = runCliInProcess;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rlm-view-'));
  state = path.join(dir, 'state');
  const docs = writeDocs(dir);
  ({ summary: good, stderr: goodStderr } = await runScripted(dir, 'good', GOOD_SCRIPT, 'Which errors do the logs show?', docs));
  ({ summary: bad } = await runScripted(dir, 'bad', FAILING_SCRIPT, 'This one fails', docs));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the fixture runs ended as intended (one FINAL, one failure with its transcript)', () => {
  expect(good.status).toBe('succeeded');
  expect(good.stopReason).toBe('final');
  expect(bad.status).toBe('failed');
  expect(bad.iterations).toBe(2);
});

test('progress lines in a pipe: plain lines, the failed cell names its exception, the running cost is shown', () => {
  // One summary line per finished turn; in-flight status lines ("root model call in flight…") may come between.
  const turns = goodStderr.filter((l) => l.startsWith('turn ') && !l.endsWith('…'));
  expect(turns).toHaveLength(3);
  expect(goodStderr.some((l) => /^turn 1\/\d+ · .*root model call in flight…$/.test(l))).toBe(true);
  expect(turns[0]).toMatch(/\[NameError\]/);
  expect(turns.every((l) => /\$\d+\.\d{4} so far/.test(l))).toBe(true);
  expect(goodStderr.join('\n')).not.toMatch(/\r|\x1b\[/);
});

test('rlm list shows both runs, newest first, with status, turns and cost', async () => {
  const r = await cli(['list', '--state-dir', state]);
  expect(r.code).toBe(0);
  const rows = r.out.trim().split('\n').slice(2);
  expect(rows).toHaveLength(2);
  expect(rows[0]).toContain(bad.runId);
  expect(rows[0]).toMatch(/failed \(ScriptExhaustedError\)\s+2\s+\$0\.0000/);
  expect(rows[1]).toContain(good.runId);
  expect(rows[1]).toMatch(/succeeded \(final\)\s+3/);
  const json = JSON.parse((await cli(['list', '--state-dir', state, '--output', 'json'])).out);
  expect(json.map((x: { runId: string }) => x.runId)).toEqual([bad.runId, good.runId]);
});

test('rlm show prints the per-turn table with error types and sub-calls', async () => {
  const r = await cli(['show', good.runId, '--state-dir', state]);
  expect(r.code).toBe(0);
  const table = r.out.split('\n').filter((l) => /^\s+\d+\s/.test(l));
  expect(table).toHaveLength(3);
  expect(table[0]).toMatch(/^\s+1\s+code\s+1\s+NameError\s+0\s/);
  expect(table[1]).toMatch(/^\s+2\s+code\s+1\s+-\s+2\s/);
  expect(table[2]).toMatch(/final$/);
  const failed = await cli(['show', bad.runId, '--state-dir', state]);
  expect(failed.code).toBe(1);
  expect(failed.out).toMatch(/error\s+ScriptExhaustedError: /);
  expect(failed.out).toMatch(/^\s+2\s+code\s+1\s+KeyError/m);
});

test('rlm show on an unknown run names what it looked for', async () => {
  const r = await cli(['show', 'run-nope', '--state-dir', state]);
  expect(r.code).toBe(2);
  expect(r.err).toContain('no run "run-nope"');
});

test('rlm export writes the reference JSONL: metadata, then one iteration per turn with code blocks and sub-calls', async () => {
  const out = path.join(dir, 'good.jsonl');
  const r = await cli(['export', good.runId, '--format', 'rlm-jsonl', '--out', out, '--state-dir', state]);
  expect(r.code).toBe(0);
  expect(r.out.trim().split('\n').pop()).toBe(out);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ type: 'metadata', root_model: 'scripted-root', max_iterations: 30, max_depth: 1 });
  const iters = lines.slice(1);
  expect(iters.map((i) => i.iteration)).toEqual([1, 2, 3]);
  expect(iters[0].prompt[0].role).toBe('system');
  expect(iters[0].prompt[1].content).toContain('Which errors do the logs show?');
  expect(iters[1].prompt.length).toBe(iters[0].prompt.length + 2);
  expect(iters[0].code_blocks[0].result.stderr).toMatch(/NameError/);
  const calls = iters[1].code_blocks[0].result.rlm_calls;
  expect(calls).toHaveLength(2);
  expect(calls[0].response).toBe('The errors are disk quota exceeded.');
  expect(calls[0].prompt).toMatch(/^Summarise these errors:/);
  expect(calls[0].prompt_tokens).toBeGreaterThan(0);
  expect(iters[2].final_answer).toBe('disk quota errors on volumes 0-4, 2 documents');
  expect(iters[2].code_blocks[0].result.final_answer).toBe('disk quota errors on volumes 0-4, 2 documents');
  expect((await cli(['export', good.runId, '--state-dir', state])).code).toBe(2);
});

test('rlm view writes one self-contained page and prints its path last', async () => {
  const out = path.join(dir, 'good.html');
  const r = await cli(['view', good.runId, '--state-dir', state, '--out', out]);
  expect(r.code).toBe(0);
  expect(r.out.trim().split('\n').pop()).toBe(out);
  const html = readFileSync(out, 'utf8');
  expect(html).toContain("default-src 'none'");
  expect(html).not.toMatch(/<(link|img|iframe)\b|src="http|href="http/);
  expect(html).toContain('disk quota errors on volumes 0-4, 2 documents');
  expect(html).toMatch(/<table id="document-map">[\s\S]*alpha\.txt/);
});

test('a run folder without trajectory (killed before finishing) or with a cut-off file still gets a page', async () => {
  const killed = path.join(state, 'results', 'run-killed');
  mkdirSync(killed, { recursive: true });
  writeFileSync(path.join(killed, 'trajectory.json'), readFileSync(path.join(state, 'results', good.runId, 'trajectory.json'), 'utf8').slice(0, 2000));
  const r = await cli(['show', 'run-killed', '--state-dir', state]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/note\s+trajectory\.json: not valid JSON, perhaps cut off/);
  const onlyResult = path.join(state, 'results', 'run-result-only');
  mkdirSync(onlyResult, { recursive: true });
  writeFileSync(path.join(onlyResult, 'result.json'), JSON.stringify({ runId: 'run-result-only', status: 'failed', answer: null, stopReason: 'error', iterations: 0, question: 'q?', error: { name: 'SandboxStartError', message: 'no sandbox' } }));
  const v = await cli(['view', onlyResult]);
  expect(v.code).toBe(0);
  const html = readFileSync(v.out.trim().split('\n').pop() as string, 'utf8');
  expect(html).toContain('SandboxStartError: no sandbox');
  expect(html).toContain('before the first turn was recorded');
});
