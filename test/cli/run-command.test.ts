/** `rlm run` as a user runs it (in-process): the demo, --record and replay, JSON output, bad arguments. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCliInProcess } from './in-process-cli';

const repo = path.join(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'rlm-cli-'));

const rlm = runCliInProcess;

const demo = ['--document', path.join(repo, 'examples/demo/docs'), '--question', 'Which service had the most incidents in the logs?', '--state-dir', path.join(dir, 'state')];

test('the demo answers from the logs, records a replay script, and the replay gives the same answer', async () => {
  const recordFile = path.join(dir, 'recorded.json');
  const first = await rlm(['run', '--llm', `scripted:${path.join(repo, 'examples/demo/script.json')}`, ...demo, '--output', 'json', '--record', recordFile]);
  expect(first.code).toBe(0);
  const summary = JSON.parse(first.out);
  expect(summary).toMatchObject({ status: 'succeeded', stopReason: 'final', iterations: 5 });
  expect(summary.answer).toMatch(/^payments had the most incidents: 56 of 120/);
  expect(summary.usage.subCalls).toBe(3);
  expect(first.err).toMatch(/turn 2\/30 · 1 cell \[NameError\]/);
  const recorded = JSON.parse(readFileSync(recordFile, 'utf8'));
  expect(recorded.root).toHaveLength(5);
  expect(Object.keys(recorded.sub.exact)).toHaveLength(3);
  const replay = await rlm(['run', '--llm', `scripted:${recordFile}`, ...demo, '--quiet']);
  expect(replay.code).toBe(0);
  expect(replay.out.trim()).toBe(summary.answer);
  const trajectory = JSON.parse(readFileSync(summary.trajectoryPath, 'utf8'));
  expect(trajectory.turns[1].cells[0].fullOutput).toMatch(/NameError: name 'Counter' is not defined/);
}, 120_000);

test('bad arguments exit 2 with a message naming the problem', async () => {
  expect(await rlm(['run', '--document', 'x'])).toMatchObject({ code: 2, err: expect.stringMatching(/--question is required/) });
  expect(await rlm(['run', '--question', 'q', '--document', path.join(dir, 'missing.txt')])).toMatchObject({ code: 2, err: expect.stringMatching(/missing\.txt: no such file/) });
  expect(await rlm(['run', '--question', 'q', '--document', dir, '--max-iterations', 'many'])).toMatchObject({ code: 2, err: expect.stringMatching(/--max-iterations must be a positive integer/) });
  expect(await rlm(['run', '--question', 'q', '--document', dir, '--llm', 'gpt'])).toMatchObject({ code: 2, err: expect.stringMatching(/unknown --llm "gpt"/) });
  expect(await rlm(['nope'])).toMatchObject({ code: 2 });
});

test('a price table with a typo is refused before the run, naming the file, entry and field', async () => {
  const prices = path.join(dir, 'prices.json');
  writeFileSync(prices, JSON.stringify({ 'claude-sonnet': { inptu: 3, output: 15 } }));
  expect(await rlm(['run', '--question', 'q', '--document', dir, '--prices', prices]))
    .toMatchObject({ code: 2, err: expect.stringContaining(`--prices ${prices}: price of "claude-sonnet": "input" must be a number`) });
});
