/** The evaluation harness: data reading, Base / Long Context with scripted and fake models, resume, the CLI. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ScriptedModel } from '../../lambdas/adapters/models';
import { ContextWindowExceededError, ModelInvocationError, ModelThrottledError } from '../../lambdas/core/errors';
import { CONTEXT_1M_BETA, planDirectCall, type LongBenchRecord, type QuestionResult } from '../../lambdas/core/eval';
import type { LanguageModel, ModelRequest, ModelResponse } from '../../lambdas/core/ports';
import { evalCommand } from '../../bin/commands/eval';
import { readLongBench } from '../../bin/eval/data';
import { answerDirect, type DirectDeps } from '../../bin/eval/direct';
import { runEvaluation } from '../../bin/eval/harness';
import { captureIO, plantedRecord, tempDir, writeData, writeScript } from './eval-helpers';

const lines = (file: string): QuestionResult[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** A model that records requests and replies with a fixed text, or throws. */
function fakeModel(reply: string | (() => never)): LanguageModel & { requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  return {
    description: 'fake', requests,
    async converse(request: ModelRequest): Promise<ModelResponse> {
      requests.push(request);
      if (typeof reply === 'function') reply();
      return { content: [{ type: 'text', text: reply as string }], stopReason: 'end_turn', usage: { inputTokens: 1000, outputTokens: 10 }, modelId: request.modelId, latencyMs: 1 };
    },
  };
}

const direct = (model: LanguageModel, over: Partial<DirectDeps> = {}): DirectDeps => ({
  model, modelId: 'scripted-root', plan: planDirectCall('base', 'scripted-root', false)!, approach: 'base', sleep: async () => {}, ...over,
});

describe('reading LongBench data', () => {
  const records = [0, 1, 2, 3].map((i) => plantedRecord(i));

  it('reads the official JSON array and JSON Lines alike, selecting subsets in file order', async () => {
    const dir = tempDir();
    for (const array of [true, false]) {
      const file = writeData(dir, records, { array });
      const all = await readLongBench(file, { subset: 'all' });
      expect(all.format).toBe(array ? 'json-array' : 'jsonl');
      expect(all.records.map((r) => r._id)).toEqual(['rec-0', 'rec-1', 'rec-2', 'rec-3']);
      expect((await readLongBench(file, { subset: 'financial' })).records.map((r) => r._id)).toEqual(['rec-0', 'rec-2']);
      const code = await readLongBench(file, { subset: 'code', limit: 1, dropContext: (id) => id === 'rec-1' });
      expect(code.records).toHaveLength(1);
      expect(code.records[0].context).toBe('');
      expect(code.total).toBe(4);
    }
  });

  it.each([
    ['a bad field, with the line', (r: unknown[]) => [r[0], { ...(r[1] as object), answer: 'Z' }], 'data.jsonl line 2: field "answer" must be one of A, B, C, D, got "Z" (_id rec-1)'],
    ['a missing field', (r: unknown[]) => [{ ...(r[0] as object), context: undefined }], 'data.jsonl line 1: field "context" is missing (_id rec-0)'],
    ['a duplicate id', (r: unknown[]) => [r[0], r[0]], 'data.jsonl line 2: duplicate _id rec-0 (first at data.jsonl line 1)'],
  ])('refuses %s', async (_what, edit, message) => {
    const file = writeData(tempDir(), edit(records));
    await expect(readLongBench(file, { subset: 'all' })).rejects.toThrow(message);
  });

  it('refuses broken JSON, other formats, empty and missing files with clear messages', async () => {
    const dir = tempDir();
    const broken = path.join(dir, 'broken.jsonl');
    writeFileSync(broken, JSON.stringify(records[0]) + '\n{"_id": "x",\n');
    await expect(readLongBench(broken, { subset: 'all' })).rejects.toThrow(/broken\.jsonl line 2: not valid JSON/);
    const csv = path.join(dir, 'data.csv');
    writeFileSync(csv, '_id,question\n1,2\n');
    await expect(readLongBench(csv, { subset: 'all' })).rejects.toThrow('data.csv: expected the official data.json (a JSON array) or JSON Lines');
    const truncated = path.join(dir, 'cut.json');
    writeFileSync(truncated, JSON.stringify(records).slice(0, -40));
    await expect(readLongBench(truncated, { subset: 'all' })).rejects.toThrow(/cut\.json line 1: the JSON array is not closed \(truncated file\?\) after 3 complete record/);
    const empty = path.join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n\n');
    await expect(readLongBench(empty, { subset: 'all' })).rejects.toThrow('empty.jsonl: the file is empty');
    await expect(readLongBench(path.join(dir, 'nope.json'), { subset: 'all' })).rejects.toThrow(/cannot read data file .*nope\.json: ENOENT/);
  });
});

describe('Base and Long Context', () => {
  it('scores the text reply of a scripted model with the official extraction', async () => {
    const rec = plantedRecord(0); // gold B
    const bold = new ScriptedModel({ root: [{ text: 'Thinking.\n**The correct answer is (B)**' }] });
    const r = await answerDirect(rec, direct(bold));
    expect(r).toMatchObject({ id: 'rec-0', approach: 'base', success: true, predicted: 'B', gold: 'B', correct: true, iterations: 1, error: null, promptTokensSource: 'estimated' });
    expect(r.rootTokens).toBeGreaterThan(0);
    const none = await answerDirect(rec, direct(new ScriptedModel({ root: [{ text: 'I cannot tell.' }] })));
    expect(none).toMatchObject({ success: true, predicted: null, correct: false });
  });

  it('sends the official prompt and sampling, and the 1M beta for Long Context on Bedrock', async () => {
    const model = fakeModel('The correct answer is (A)');
    const id = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
    await answerDirect(plantedRecord(1), direct(model, { modelId: id, approach: 'long-context', plan: planDirectCall('long-context', id, true)! }));
    const req = model.requests[0];
    expect(req).toMatchObject({ role: 'root', modelId: id, temperature: 0.1, maxOutputTokens: 128, providerOptions: { anthropic_beta: [CONTEXT_1M_BETA] } });
    expect((req.messages[0].content[0] as { text: string }).text).toContain('<text>\nLine 0: nothing to see');
  });

  it('makes an over-limit prompt unsuccessful without calling the model (estimated or counted)', async () => {
    const model = fakeModel('The correct answer is (B)');
    const huge = plantedRecord(0, { context: 'x'.repeat(800_000) });
    const r = await answerDirect(huge, direct(model));
    expect(r).toMatchObject({ success: false, correct: false, predicted: null, iterations: 0, costUsd: 0 });
    expect(r.error).toMatch(/^ContextWindowExceededError: the prompt is 200,0\d\d tokens \(estimated\) \+ 128 for the reply, over the 200,000-token window$/);
    const counted = await answerDirect(plantedRecord(0), direct(model, { countTokens: async () => 250_000 }));
    expect(counted).toMatchObject({ success: false, promptTokens: 250_000, promptTokensSource: 'counted' });
    expect(model.requests).toHaveLength(0);
  });

  it("makes the provider's own context error unsuccessful", async () => {
    const model = fakeModel(() => { throw new ContextWindowExceededError('Bedrock rejected the prompt as too long'); });
    const r = await answerDirect(plantedRecord(0), direct(model));
    expect(r).toMatchObject({ success: false, iterations: 1, error: 'ContextWindowExceededError: Bedrock rejected the prompt as too long' });
  });

  it('retries throttling then defers the question; stops on a setup error', async () => {
    const throttled = fakeModel(() => { throw new ModelThrottledError('slow down'); });
    await expect(answerDirect(plantedRecord(0), direct(throttled, { attempts: 3 }))).rejects.toMatchObject({ name: 'QuestionDeferredError' });
    expect(throttled.requests).toHaveLength(3);
    const denied = fakeModel(() => { throw new ModelInvocationError('no access', { cause: Object.assign(new Error('x'), { name: 'AccessDeniedException' }) }); });
    await expect(answerDirect(plantedRecord(0), direct(denied))).rejects.toMatchObject({ name: 'EvalAbortedError' });
  });
});

describe('harness', () => {
  const records: LongBenchRecord[] = [0, 1, 2, 3, 4].map((i) => plantedRecord(i));

  it('appends one line per question, resumes skipping finished ids, and repairs a torn last line', async () => {
    const dir = tempDir();
    const data = writeData(dir, records);
    const out = path.join(dir, 'out');
    const calls: string[] = [];
    const answer = async (r: LongBenchRecord) => { calls.push(r._id); return answerDirect(r, direct(new ScriptedModel({ root: [{ text: 'The correct answer is (B)' }] }))); };
    const first = await runEvaluation({ data, subset: 'all', approach: 'base', outDir: out, limit: 3, concurrency: 2 }, answer);
    expect(first).toMatchObject({ ran: 3, skipped: 0 });
    expect(Object.keys(lines(path.join(out, 'results.jsonl'))[0]).slice(0, 6)).toEqual(['id', 'approach', 'success', 'predicted', 'gold', 'correct']);
    appendFileSync(path.join(out, 'results.jsonl'), '{"id":"rec-3","appro'); // a crash mid-write
    calls.length = 0;
    const second = await runEvaluation({ data, subset: 'all', approach: 'base', outDir: out, concurrency: 2 }, answer);
    expect(second).toMatchObject({ ran: 2, skipped: 3 });
    expect(calls.sort()).toEqual(['rec-3', 'rec-4']);
    const all = lines(path.join(out, 'results.jsonl'));
    expect(all.map((r) => r.id).sort()).toEqual(['rec-0', 'rec-1', 'rec-2', 'rec-3', 'rec-4']);
    expect(second.summary.overall).toEqual({ n: 5, succeeded: 5, correct: 2, successRate: 1, accuracy: 0.4 });
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).overall.accuracy).toBe(0.4);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain('| Base | all | 5 | 100.0% | 40.0% |');
    const third = await runEvaluation({ data, subset: 'all', approach: 'base', outDir: out, concurrency: 2 }, answer);
    expect(third).toMatchObject({ ran: 0, skipped: 5 });
  });

  it('runs unsuccessful questions again with retryFailed, the newer line winning', async () => {
    const dir = tempDir();
    const data = writeData(dir, records.slice(0, 2));
    const out = path.join(dir, 'out');
    const failing = fakeModel(() => { throw new ContextWindowExceededError('too long'); });
    const first = await runEvaluation({ data, subset: 'all', approach: 'base', outDir: out, concurrency: 1 }, (r) => answerDirect(r, direct(failing)));
    expect(first.summary.overall).toMatchObject({ n: 2, succeeded: 0 });
    const ok = new ScriptedModel({ root: [{ text: 'The correct answer is (B)' }] });
    const again = await runEvaluation({ data, subset: 'all', approach: 'base', outDir: out, concurrency: 1 }, (r) => answerDirect(r, direct(ok)));
    expect(again).toMatchObject({ ran: 0, skipped: 2 });
    const retried = await runEvaluation({ data, subset: 'all', approach: 'base', outDir: out, concurrency: 1, retryFailed: true }, (r) => answerDirect(r, direct(ok)));
    expect(retried).toMatchObject({ ran: 2, skipped: 0 });
    expect(retried.summary.overall).toMatchObject({ n: 2, succeeded: 2, correct: 1 });
    expect(lines(path.join(out, 'results.jsonl'))).toHaveLength(4);
  });

  it('does not record deferred questions, and refuses an output directory of another approach', async () => {
    const dir = tempDir();
    const data = writeData(dir, records.slice(0, 2));
    const out = path.join(dir, 'out');
    const throttled = fakeModel(() => { throw new ModelThrottledError('slow down'); });
    const rep = await runEvaluation({ data, subset: 'all', approach: 'base', outDir: out, concurrency: 1 }, (r) => answerDirect(r, direct(throttled, { attempts: 1 })));
    expect(rep).toMatchObject({ ran: 0, deferred: ['rec-0', 'rec-1'] });
    expect(rep.summary.finished).toBe(0);
    writeFileSync(path.join(out, 'results.jsonl'), JSON.stringify({ id: 'rec-0', approach: 'rlm' }) + '\n');
    await expect(runEvaluation({ data, subset: 'all', approach: 'base', outDir: out, concurrency: 1 }, async () => { throw new Error('unused'); }))
      .rejects.toThrow('holds results of approach "rlm", not "base"; use another --out directory');
  });
});

describe('rlm eval CLI', () => {
  it('runs Base end to end with a scripted model and prints the table', async () => {
    const dir = tempDir();
    const data = writeData(dir, [plantedRecord(0), plantedRecord(1)], { array: true });
    const script = writeScript(dir, { root: [{ text: 'The correct answer is (B)' }] });
    const { io, out, err } = captureIO();
    const code = await evalCommand(['longbench', '--data', data, '--approach', 'base', '--llm', `scripted:${script}`, '--out', path.join(dir, 'o')], io);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('| Base | all | 2 | 100.0% | 50.0% |');
    expect(err.join('\n')).toContain('2 question(s) selected (subset all) of 2 in data.json');
  });

  it('exits 2 with a clear message for bad data and bad flags', async () => {
    const dir = tempDir();
    const data = writeData(dir, [{ ...plantedRecord(0), difficulty: 'medium' }]);
    const script = writeScript(dir, { root: [{ text: 'x' }] });
    const bad = captureIO();
    expect(await evalCommand(['longbench', '--data', data, '--approach', 'base', '--llm', `scripted:${script}`, '--out', path.join(dir, 'o')], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toBe('rlm eval: EvalDataError: data.jsonl line 1: field "difficulty" must be "easy" or "hard", got "medium" (_id rec-0)');
    const flags = captureIO();
    expect(await evalCommand(['longbench', '--data', data, '--approach', 'fast'], flags.io)).toBe(2);
    expect(flags.err[0]).toContain('--approach must be one of base, long-context, rlm');
    expect(await evalCommand(['longbench', '--data', data, '--approach', 'base', '--stack', 'S'], flags.io)).toBe(2);
    expect(await evalCommand(['other', '--data', data, '--approach', 'base'], flags.io)).toBe(2);
  });
});
