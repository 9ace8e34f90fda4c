/** The pure part of the LongBench v2 evaluation: prompt, extraction, validation, splitting, windows, summary. */
import {
  BASE_CONTEXT_TOKENS, buildBasePrompt, buildRlmQuestion, classifyFailure, CONTEXT_1M_BETA, directCallCost,
  distribution, EvalDataError, extractAnswer, fitsWindow, inSubset, JsonArraySplitter, LONGBENCH_0SHOT_TEMPLATE,
  percentile, planDirectCall, renderSummaryMarkdown, subsetOf, summarizeResults, supportsContext1M, validateRecord,
  type LongBenchRecord, type QuestionResult,
} from '../../lambdas/core/eval';

const record = (over: Partial<LongBenchRecord> = {}): LongBenchRecord => ({
  _id: 'q1', domain: 'Multi-Document QA', sub_domain: 'Financial', difficulty: 'easy', length: 'short',
  question: ' Which? ', choice_A: 'a', choice_B: 'b', choice_C: 'c', choice_D: 'd', answer: 'B', context: '\n doc text \n',
  ...over,
});

describe('official prompt and extraction', () => {
  it('fills the 0-shot template like pred.py (fields stripped)', () => {
    expect(LONGBENCH_0SHOT_TEMPLATE).toBe(
      'Please read the following text and answer the question below.\n\n<text>\n$DOC$\n</text>\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nFormat your response as follows: "The correct answer is (insert answer here)".',
    );
    expect(buildBasePrompt(record())).toBe(
      'Please read the following text and answer the question below.\n\n<text>\ndoc text\n</text>\n\nWhat is the correct answer to this question: Which?\nChoices:\n(A) a\n(B) b\n(C) c\n(D) d\n\nFormat your response as follows: "The correct answer is (insert answer here)".',
    );
  });

  it('keeps $-patterns in the data literal and replaces placeholders inside the document as pred.py does', () => {
    const p = buildBasePrompt(record({ context: 'costs $& and $1; see $Q$', choice_A: "$'x" }));
    expect(p).toContain('costs $& and $1; see Which?');
    expect(p).toContain("(A) $'x");
  });

  it('builds the RLM question without the document', () => {
    const q = buildRlmQuestion(record());
    expect(q.startsWith('What is the correct answer to this question: Which?\nChoices:\n(A) a')).toBe(true);
    expect(q.endsWith('"The correct answer is (insert answer here)".')).toBe(true);
    expect(q).not.toContain('<text>');
  });

  it.each([
    ['The correct answer is (B)', 'B'],
    ['**The correct answer is (C)**', 'C'],
    ['The correct answer is **(D)**.', 'D'],
    ['Reasoning... The correct answer is A because', 'A'],
    ['The correct answer is (E)', null],
    ['the correct answer is (B)', null],
    ['I think (B).', null],
    ['', null],
    [null, null],
    ['The correct answer is (B). Actually The correct answer is (C)', 'B'],
    ['The correct answer is B, not The correct answer is (C)', 'C'],
  ])('extracts %j -> %j', (text, letter) => {
    expect(extractAnswer(text as string | null)).toBe(letter);
  });
});

describe('records', () => {
  it('accepts a valid record and drops extra fields', () => {
    expect(validateRecord({ ...record(), extra: 1 }, 'x line 1')).toEqual(record());
  });

  it.each([
    [{ choice_B: 3 }, 'x line 2: field "choice_B" must be a string, got number (_id q1)'],
    [{ answer: 'E' }, 'x line 2: field "answer" must be one of A, B, C, D, got "E" (_id q1)'],
    [{ difficulty: 'medium' }, 'field "difficulty" must be "easy" or "hard"'],
    [{ length: 'huge' }, 'field "length" must be "short", "medium" or "long"'],
    [{ context: '  ' }, 'field "context" must not be empty'],
  ])('refuses %j with a message naming the field', (over, message) => {
    expect(() => validateRecord({ ...record(), ...over }, 'x line 2')).toThrow(message);
    expect(() => validateRecord({ ...record(), ...over }, 'x line 2')).toThrow(EvalDataError);
  });

  it('names a missing field', () => {
    const { question: _q, ...rest } = record();
    expect(() => validateRecord(rest, 'd.json record 4 (line 9)')).toThrow('d.json record 4 (line 9): field "question" is missing (_id q1)');
  });

  it('selects the paper subsets', () => {
    const code = record({ domain: 'Code Repository Understanding', sub_domain: 'Code repo QA' });
    expect(subsetOf(record())).toBe('financial');
    expect(subsetOf(code)).toBe('code');
    expect(subsetOf(record({ sub_domain: 'Academic' }))).toBe('other');
    expect(inSubset(code, 'financial')).toBe(false);
    expect(inSubset(code, 'code')).toBe(true);
    expect(inSubset(record({ sub_domain: 'Academic' }), 'all')).toBe(true);
  });
});

describe('JsonArraySplitter', () => {
  it('splits an array across arbitrary chunk boundaries, with strings holding brackets, quotes and escapes', () => {
    const items = [{ a: 'x]}{["\\"' }, { b: [1, { c: 'é\n' }] }, { d: '\\\\' }];
    const text = '\uFEFF[\n  ' + items.map((i) => JSON.stringify(i)).join(',\n  ') + '\n]\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const s = new JsonArraySplitter('d.json');
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...s.push(text.slice(i, i + size)));
      expect(s.end()).toBe(3);
      expect(out.map((e) => JSON.parse(e.text))).toEqual(items);
      expect(out.map((e) => e.line)).toEqual([2, 3, 4]);
    }
  });

  it('reports structure errors with the line', () => {
    expect(() => new JsonArraySplitter('d.json').push('[{"a":1}\n {"b":2}]')).toThrow('d.json line 2: expected "," or "]" after record 1');
    expect(() => new JsonArraySplitter('d.json').push('[1]')).toThrow('expected a record (a JSON object) as element 1');
    const s = new JsonArraySplitter('d.json');
    s.push('[{"a":1},\n{"b":');
    expect(() => s.end()).toThrow('d.json line 2: the JSON array is not closed (truncated file?) after 1 complete record(s)');
    const empty = new JsonArraySplitter('d.json');
    empty.push('[ ]');
    expect(empty.end()).toBe(0);
  });
});

describe('approaches', () => {
  it('plans Base at 200K and Long Context at 1M with the Bedrock beta for Claude Sonnet 4/4.5 only', () => {
    expect(planDirectCall('base', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', true)).toEqual({ contextTokens: BASE_CONTEXT_TOKENS });
    expect(planDirectCall('long-context', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', true))
      .toEqual({ contextTokens: 1_000_000, providerOptions: { anthropic_beta: [CONTEXT_1M_BETA] } });
    expect(supportsContext1M('anthropic.claude-sonnet-4-20250514-v1:0')).toBe(true);
    expect(supportsContext1M('us.anthropic.claude-haiku-4-5-20251001-v1:0')).toBe(false);
    expect(supportsContext1M('us.anthropic.claude-3-7-sonnet-20250219-v1:0')).toBe(false);
    expect(planDirectCall('long-context', 'us.anthropic.claude-haiku-4-5-20251001-v1:0', true)).toBeUndefined();
    expect(planDirectCall('long-context', 'scripted-root', false)).toEqual({ contextTokens: 1_000_000 });
  });

  it('checks the window including the reply budget', () => {
    expect(fitsWindow(199_872, 128, 200_000)).toBe(true);
    expect(fitsWindow(199_873, 128, 200_000)).toBe(false);
  });

  it('prices long prompts on the 1M window at the long-context rate', () => {
    const id = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
    expect(directCallCost(id, { inputTokens: 100_000, outputTokens: 100 }, true)).toBeCloseTo(0.3 + 0.0015, 6);
    expect(directCallCost(id, { inputTokens: 300_000, outputTokens: 100 }, true)).toBeCloseTo(0.9 * 2 + 0.0015 * 1.5, 6);
    expect(directCallCost(id, { inputTokens: 300_000, outputTokens: 100 }, false)).toBeCloseTo(0.9015, 6);
  });

  it('classifies failures', () => {
    expect(classifyFailure('ModelThrottledError')).toBe('retry-later');
    expect(classifyFailure('ContextWindowExceededError')).toBe('unsuccessful');
    expect(classifyFailure('ModelInvocationError', 'AccessDeniedException')).toBe('abort');
    expect(classifyFailure('ModelInvocationError', 'ValidationException')).toBe('unsuccessful');
    expect(classifyFailure('ScriptExhaustedError')).toBe('unsuccessful');
  });
});

describe('summary', () => {
  const result = (id: string, over: Partial<QuestionResult>): QuestionResult => ({
    id, approach: 'rlm', success: true, predicted: 'A', gold: 'A', correct: true, rootTokens: 10, subTokens: 5,
    costUsd: 0.1, latencyMs: 1000, iterations: 2, error: null, domain: 'Multi-Document QA', subDomain: 'Financial',
    difficulty: 'easy', length: 'short', finishedAt: '2025-01-01T00:00:00Z', ...over,
  });

  it('computes nearest-rank percentiles', () => {
    const xs = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 90)).toBe(9);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([42], 90)).toBe(42);
    expect(distribution([1, 2, 3, 10])).toEqual({ total: 16, mean: 4, p50: 2, p90: 10, max: 10 });
  });

  it('computes success rate and accuracy over all questions, with splits', () => {
    const results = [
      result('a', {}),
      result('b', { difficulty: 'hard', length: 'long', predicted: 'B', correct: false, costUsd: 0.3, latencyMs: 3000 }),
      result('c', { difficulty: 'hard', length: 'medium', success: false, predicted: null, correct: false, error: 'RunStopped: stopReason iteration_cap', costUsd: 0.5, latencyMs: 9000 }),
      result('d', { predicted: null, correct: false, domain: 'Code Repository Understanding', subDomain: 'Code repo QA' }),
    ];
    const s = summarizeResults(results, { approach: 'rlm', subset: 'all', selected: 5, subsetOf: (r) => subsetOf({ domain: r.domain, sub_domain: r.subDomain }) });
    expect(s.overall).toEqual({ n: 4, succeeded: 3, correct: 1, successRate: 0.75, accuracy: 0.25 });
    expect(s.unanswered).toBe(1);
    expect(s.byDifficulty.easy).toEqual({ n: 2, succeeded: 2, correct: 1, successRate: 1, accuracy: 0.5 });
    expect(s.byDifficulty.hard.successRate).toBe(0.5);
    expect(s.byLength).toMatchObject({ short: { n: 2 }, medium: { n: 1, succeeded: 0 }, long: { n: 1, correct: 0 } });
    expect(s.bySubset).toMatchObject({ financial: { n: 3 }, code: { n: 1 } });
    expect(s.costUsd).toMatchObject({ p50: 0.1, p90: 0.5, max: 0.5 });
    expect(s.costUsd.total).toBeCloseTo(1.0, 9);
    expect(s.latencyMs).toMatchObject({ p50: 1000, p90: 9000, max: 9000 });
    expect(s.errors).toEqual({ RunStopped: 1 });
    const md = renderSummaryMarkdown(s);
    expect(md).toContain('| RLM | all | 4 | 75.0% | 25.0% |');
    expect(md).toContain('| hard | 2 | 50.0% | 0.0% |');
    expect(md).toContain('1 of 5 selected questions have no result yet');
  });
});
