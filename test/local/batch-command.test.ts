/**
 * `rlm batch` in-process over a 20-item manifest with ONE local engine (aws-local-stepfunctions, dynalite,
 * Pyodide, local files) and a scripted model whose root turns compute each answer with real Python:
 * 18 items answered, 2 deliberately bad ones (a missing document, an empty question) reported with reasons.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Script } from '../../lambdas/adapters/models';
import type { BatchResultLine, BatchSummary } from '../../lambdas/core/batch';
import { BATCH_HELP, batchCommand, localDocumentResolver, parseBatchArgs } from '../../bin/commands/batch';
import { main } from '../../bin/rlm';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-batch-'));
const GOOD = 18;

/** Document i mentions "apple" exactly 2*i+1 times among other fruit. */
function documentText(i: number): string {
  const words: string[] = [];
  for (let k = 0; k < 2 * i + 1; k++) words.push('apple', 'pear', 'pineapple', 'applesauce');
  return `Fruit log ${i}\n` + words.join(' ') + '\nThe end.\n';
}

beforeAll(() => {
  mkdirSync(path.join(dir, 'docs'));
  for (let i = 0; i < GOOD; i++) writeFileSync(path.join(dir, 'docs', `log-${i}.txt`), documentText(i));
  const script: Script = {
    root: [
      { text: 'Check what I have.', code: 'print(len(documents), len(context))' },
      { text: 'Count whole-word occurrences and finish.', code: "import re\nn = len(re.findall(r'\\bapple\\b', context))\nFINAL(str(n))" },
    ],
  };
  writeFileSync(path.join(dir, 'script.json'), JSON.stringify(script));
  const lines: string[] = [];
  for (let i = 0; i < 20; i++) {
    if (i === 7) lines.push(JSON.stringify({ id: 'missing-doc', question: 'How many apples?', documents: ['docs/no-such-file.txt'] }));
    else if (i === 13) lines.push(JSON.stringify({ id: 'empty-question', question: '   ', documents: ['docs/log-0.txt'] }));
    else {
      const d = i < 7 ? i : i < 13 ? i - 1 : i - 2;
      const doc = d % 3 === 0 ? `file://${path.join(dir, 'docs', `log-${d}.txt`)}` : `docs/log-${d}.txt`;
      lines.push(JSON.stringify({ id: `item-${d}`, question: `How many times does the word apple appear in log ${d}?`, documents: [doc], ...(d === 4 ? { options: { maxIterations: 5 } } : {}) }));
    }
  }
  writeFileSync(path.join(dir, 'fruit.jsonl'), lines.join('\n') + '\n');
});

test('20 items through one engine: 18 answered by Python in the sandbox, 2 reported with reasons', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const started = Date.now();
  const code = await batchCommand([
    path.join(dir, 'fruit.jsonl'), '--llm', `scripted:${path.join(dir, 'script.json')}`, '--concurrency', '6', '--state-dir', path.join(dir, 'state'),
  ], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
  const seconds = (Date.now() - started) / 1000;
  expect(code).toBe(1); // some items failed

  const resultsDir = path.join(dir, 'fruit.results');
  const lines = readFileSync(path.join(resultsDir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as BatchResultLine);
  expect(lines).toHaveLength(20);
  expect(lines.map((l) => l.index)).toEqual([...Array(20).keys()]);
  const answered = lines.filter((l) => l.status === 'succeeded');
  expect(answered).toHaveLength(GOOD);
  for (const l of answered) {
    const d = Number(l.id.replace('item-', ''));
    expect(l).toMatchObject({ answer: String(2 * d + 1), stopReason: 'final', iterations: 2, error: null });
    expect(l.totalTokens).toBeGreaterThan(0);
    expect(l.latencyMs).toBeGreaterThan(0);
    expect(l.runId).toMatch(/^b-fruit-[0-9a-f]{10}-\d+$/);
  }
  const missing = lines.find((l) => l.id === 'missing-doc')!;
  expect(missing.status).toBe('failed');
  expect(missing.error).toContain('DocumentError');
  expect(missing.error).toContain(path.join(dir, 'docs', 'no-such-file.txt'));
  expect(lines.find((l) => l.id === 'empty-question')).toMatchObject({ status: 'failed', error: '"question" must be a non-empty string', runId: null, latencyMs: null });

  const summary = JSON.parse(readFileSync(path.join(resultsDir, 'summary.json'), 'utf8')) as BatchSummary;
  expect(summary).toMatchObject({ items: 20, succeeded: 18, failed: 2, answered: 18, successRate: 0.9 });
  expect(summary.failures.map((f) => f.id).sort()).toEqual(['empty-question', 'missing-doc']);
  expect(summary.tokens.total).toBe(lines.reduce((n, l) => n + l.totalTokens, 0));
  const p = summary.latencyMs;
  expect(p.p50! <= p.p90! && p.p90! <= p.p99! && p.p99! <= p.max!).toBe(true);
  expect(JSON.parse(out.join('\n'))).toEqual(summary);

  expect(err[0]).toMatch(/20 items \(1 invalid\).*concurrency 6/);
  expect(err.filter((l) => /\[\d+\/20\]/.test(l))).toHaveLength(20);
  expect(existsSync(path.join(dir, 'state', 'results', answered[0].runId!, 'trajectory.json'))).toBe(true);
  expect(seconds).toBeLessThan(120);
}, 180_000);

test('flags, help, and the rlm dispatcher', async () => {
  expect(() => parseBatchArgs([])).toThrow(/one MANIFEST/);
  expect(() => parseBatchArgs(['m.jsonl', '--concurrency', '0'])).toThrow(/--concurrency must be a positive integer/);
  expect(parseBatchArgs(['m.jsonl', '--llm', 'scripted:x.json', '--max-iterations', '3', '--out', 'o'])).toMatchObject({
    manifest: 'm.jsonl', concurrency: 4, outDir: 'o', runDefaults: { rootModelId: 'scripted-root', subModelId: 'scripted-sub', maxIterations: 3 },
  });
  // A typo in the price table is refused up front (it used to price every item as NaN).
  writeFileSync(path.join(dir, 'bad-prices.json'), JSON.stringify({ 'claude-sonnet': { inptu: 3, output: 15 } }));
  expect(() => parseBatchArgs(['m.jsonl', '--prices', path.join(dir, 'bad-prices.json')])).toThrow(/--prices .*bad-prices\.json: price of "claude-sonnet": "input" must be a number/);
  expect(() => localDocumentResolver(dir)('s3://bucket/documents/a.txt')).toThrow(/not a local path/);
  expect(localDocumentResolver(dir)('docs/a.txt')).toBe(`file://${path.join(dir, 'docs', 'a.txt')}`);
  const out: string[] = [];
  expect(await batchCommand(['--help'], { stdout: (s) => out.push(s), stderr: () => undefined })).toBe(0);
  expect(out[0]).toBe(BATCH_HELP);
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await main(['batch', path.join(dir, 'nope.jsonl'), '--llm', 'scripted:x'])).toBe(2);
    expect(String(write.mock.calls[0][0])).toMatch(/rlm batch: InvalidInputError: manifest .*nope.jsonl is not a file/);
  } finally {
    write.mockRestore();
  }
});
