/** What the viewer derives from records: per-turn cost, error types, the document map, bounded texts. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DocumentLocator } from '../../bin/view/document-map';
import { loadRunDir } from '../../bin/view/run-data';
import { cellErrorType, turnRows } from '../../bin/view/run-model';
import { bound, buildRunPayload } from '../../bin/view/run-payload';
import { costOf } from '../../lambdas/core/pricing';
import type { CellRecord } from '../../lambdas/core/types';
import { writeBigRun, writeDocs } from './fixtures';

let dir: string;
let docs: string;
beforeAll(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'rlm-view-model-')); docs = writeDocs(dir); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('per-turn cost is computed from the price table when the turn carries none, and a recorded costUsd wins', () => {
  const loaded = loadRunDir(writeBigRun(path.join(dir, 's1'), docs, { turns: 3, perTurn: 2, runId: 'run-cost' }));
  const t = loaded.turns[1];
  const expected = costOf(t.rootModelId, t.rootUsage) + t.cells[0].result.sub.records.reduce((n, r) => n + costOf(r.model, { inputTokens: r.inputTokens, outputTokens: r.outputTokens }), 0);
  const rows = turnRows(loaded);
  expect(rows[1].costUsd).toBeCloseTo(expected, 12);
  expect(rows[1].costUsd).toBeGreaterThan(0.005);
  expect(rows[2].cumulativeCostUsd).toBeCloseTo(rows[0].costUsd + rows[1].costUsd + rows[2].costUsd, 12);
  (loaded.turns[0] as unknown as { costUsd: number }).costUsd = 1.5;
  expect(turnRows(loaded)[0].costUsd).toBe(1.5);
});

test('the exception type of a failed cell comes from the last line of its traceback', () => {
  const cell = (fullOutput: string, raised = true, timedOut = false) => ({ code: '', modelOutput: '', fullOutput, result: { raised, timedOut, durationMs: 1, sub: { calls: 0, errors: 0, inputTokens: 0, outputTokens: 0, records: [] } } }) as CellRecord;
  expect(cellErrorType(cell('out\nTraceback (most recent call last):\n  File "<cell>"\njson.decoder.JSONDecodeError: Expecting value'))).toBe('JSONDecodeError');
  expect(cellErrorType(cell('StopIteration'))).toBe('StopIteration');
  expect(cellErrorType(cell('', false, true))).toBe('Timeout');
  expect(cellErrorType(cell('printed ValueError: but no raise', false))).toBeUndefined();
  expect(cellErrorType(cell('something odd'))).toBe('Error');
});

test('the document map places a prompt made of document lines, and ignores lines that occur twice', () => {
  const text = readFileSync(path.join(docs, 'beta.txt'), 'utf8');
  const locator = new DocumentLocator([readFileSync(path.join(docs, 'alpha.txt'), 'utf8'), text, 'same line repeated here\nsame line repeated here\n']);
  const lines = text.split('\n');
  const prompt = 'Summarise:\n' + lines.slice(100, 140).join('\n');
  const start = text.indexOf(lines[100]);
  expect(locator.locate(prompt, false)).toEqual([{ doc: 1, start, end: text.indexOf(lines[139]) + lines[139].length }]);
  // a preview: its last (cut) line is not used, the rest still places it
  expect(locator.locate(prompt.slice(0, 200), true)).toEqual([{ doc: 1, start, end: expect.any(Number) }]);
  expect(locator.locate('same line repeated here\nunrelated words that are nowhere', false)).toEqual([]);
});

test('texts are bounded with a visible marker and a 10,000-sub-call payload stays small', () => {
  const cut = bound('a'.repeat(10_000), 1000);
  expect(cut.length).toBeLessThan(1200);
  expect(cut).toMatch(/\[… 9,000 characters not shown in this report \(10,000 in all; the full text is in trajectory\.json\) …\]/);
  const loaded = loadRunDir(writeBigRun(path.join(dir, 's2'), docs, { turns: 100, perTurn: 100, runId: 'run-10k' }));
  const payload = buildRunPayload(loaded);
  const calls = payload.turns.flatMap((t) => t.cellsView.flatMap((c) => c.batches.flatMap((b) => b.calls)));
  expect(calls).toHaveLength(10_000);
  const chars = calls.reduce((n, c) => n + c.prompt.length + c.response.length, 0);
  expect(chars).toBeLessThan(5_000_000); // 200 characters (the preview size) per text at least, plus the marker
  expect(calls[0].prompt).toMatch(/\[… [\d,]+ characters not shown …\]/);
  expect(payload.documentMap.located).toBe(10_000);
});
