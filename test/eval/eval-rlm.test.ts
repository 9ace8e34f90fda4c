/**
 * RLM approach end to end through the local engine (real state machine, dynalite, Pyodide): the scripted
 * root runs real Python over `context` to find the planted fact and FINALs "The correct answer is (X)".
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { QuestionResult } from '../../lambdas/core/eval';
import { evalCommand } from '../../bin/commands/eval';
import { captureIO, plantedRecord, tempDir, writeData, writeScript } from './eval-helpers';

const FIND_AND_ANSWER = [
  'import re',
  "m = re.search(r'The vault code of project-\\d+ is (\\S+)\\.', context)",
  "letter = {'RED-11': 'A', 'BLUE-22': 'B', 'GREEN-33': 'C', 'GOLD-44': 'D'}[m.group(1)]",
  "FINAL(f'The correct answer is ({letter})')",
].join('\n');

describe('rlm eval: RLM through the local engine', () => {
  it('answers from the context, counts a run stopped at the iteration cap as unsuccessful, and resumes', async () => {
    const dir = tempDir();
    const records = [
      plantedRecord(0), // gold B
      plantedRecord(1), // gold C
      plantedRecord(2, { context: 'Nothing planted here.\n'.repeat(20) }), // the code raises; the capped final call guesses
    ];
    const data = writeData(dir, records);
    const script = writeScript(dir, { root: [{ code: FIND_AND_ANSWER }, { text: 'The correct answer is (D)' }] });
    const out = path.join(dir, 'out');
    const argv = ['longbench', '--data', data, '--approach', 'rlm', '--llm', `scripted:${script}`, '--out', out, '--max-iterations', '1', '--concurrency', '3'];

    const first = captureIO();
    expect(await evalCommand(argv, first.io)).toBe(0);
    const results = readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as QuestionResult);
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(byId['rec-0']).toMatchObject({ approach: 'rlm', success: true, predicted: 'B', gold: 'B', correct: true, stopReason: 'final', iterations: 1, error: null });
    expect(byId['rec-1']).toMatchObject({ success: true, predicted: 'C', correct: true });
    // Stopped by the iteration cap: its answer names a letter (which happens to be right), but it does not count.
    expect(byId['rec-2']).toMatchObject({ success: false, predicted: 'D', gold: 'D', correct: false, stopReason: 'iteration_cap' });
    expect(byId['rec-2'].error).toMatch(/^RunStopped: stopReason iteration_cap/);
    expect(byId['rec-0'].rootTokens).toBeGreaterThan(0);
    expect(byId['rec-0'].runId).toMatch(/^eval-rec-0-[0-9a-f]{6}$/);
    expect(first.out.join('\n')).toContain('| RLM | all | 3 | 66.7% | 66.7% |');

    const second = captureIO();
    expect(await evalCommand(argv, second.io)).toBe(0);
    expect(second.err.join('\n')).toContain('3 already done, 0 to run');
    expect(readFileSync(path.join(out, 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  }, 120_000);
});
