import { addTurn, computeTotals, exceededLimit, zeroTotals } from '../../lambdas/core/accounting';
import { resolveRunConfig } from '../../lambdas/core/config';
import { buildConversation, flattenForToollessCall, modelVisibleOutput } from '../../lambdas/core/conversation';
import { ConfigError, InvalidInputError } from '../../lambdas/core/errors';
import { costOf, DEFAULT_PRICES, validatePriceTable } from '../../lambdas/core/pricing';
import { initialUserMessage, MAX_LISTED_DOCUMENTS } from '../../lambdas/core/prompts';
import { parseReply } from '../../lambdas/core/reply-parser';
import { uniqueNames } from '../../lambdas/core/run-lifecycle';
import { validateStartRequest } from '../../lambdas/core/start-request';
import { truncateMiddle } from '../../lambdas/core/truncate';
import type { RunRecord, TurnRecord } from '../../lambdas/core/types';

const config = resolveRunConfig({ rootModelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', subModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0' });

function turn(index: number, over: Partial<TurnRecord> = {}): TurnRecord {
  return {
    runId: 'r', index, kind: 'code', startedAt: '', endedAt: '', replyText: 'thinking', rootModelId: config.rootModelId, rootLatencyMs: 1,
    rootUsage: { inputTokens: 1000, outputTokens: 100 },
    cells: [{ toolUseId: `t${index}`, code: 'print(1)', modelOutput: '1', fullOutput: '1',
      result: { timedOut: false, raised: false, durationMs: 500, sub: { calls: 2, errors: 0, inputTokens: 2000, outputTokens: 200, records: [] } } }],
    ...over,
  };
}

describe('truncateMiddle', () => {
  it('keeps short text and cuts long text to the budget with head, tail and an omitted count', () => {
    expect(truncateMiddle('abc', 10)).toBe('abc');
    const text = 'H'.repeat(50_000) + 'T'.repeat(50_000);
    const out = truncateMiddle(text, 20_000);
    expect(out.length).toBeLessThanOrEqual(20_000);
    expect(out.startsWith('HHHH')).toBe(true);
    expect(out.endsWith('TTTT')).toBe(true);
    const omitted = Number(/\[\.\.\. ([\d,]+) characters omitted/.exec(out)![1].replace(/,/g, ''));
    const kept = out.length - out.match(/\n\[\.\.\..*\.\.\.\]\n/)![0].length;
    expect(omitted + kept).toBe(text.length);
  });
});

describe('parseReply', () => {
  it('takes execute_python tool calls first and flags bad ones', () => {
    const r = parseReply([
      { type: 'text', text: 'plan ```python\nignored()\n```' },
      { type: 'tool_use', id: 'a', name: 'execute_python', input: { code: 'x=1' } },
      { type: 'tool_use', id: 'b', name: 'execute_python', input: {} },
      { type: 'tool_use', id: 'c', name: 'shell', input: { code: 'ls' } },
    ]);
    expect(r.source).toBe('tool');
    expect(r.requests.map((q) => [q.toolUseId, q.code, Boolean(q.invalid)])).toEqual([['a', 'x=1', false], ['b', '', true], ['c', '', true]]);
  });
  it('falls back to fenced repl/python blocks, and never treats prose as code', () => {
    const r = parseReply([{ type: 'text', text: 'a\n```repl\nprint(1)\n```\nb\n```python\nprint(2)\n```\n```json\n{}\n```' }]);
    expect(r.source).toBe('fenced');
    expect(r.requests.map((q) => q.code.trim())).toEqual(['print(1)', 'print(2)']);
    expect(parseReply([{ type: 'text', text: 'FINAL(42)' }]).requests).toEqual([]);
  });
});

describe('root prompt', () => {
  const run = (chars: number, docs = 1): RunRecord => ({
    runId: 'r', status: 'running', question: 'Q?', config, iterations: 0, totals: zeroTotals(), createdAt: '', updatedAt: '',
    documents: Array.from({ length: docs }, (_, i) => ({ name: `doc-${i}.txt`, uri: `file:///d${i}`, chars })),
    contextChars: chars * docs, contextPreview: 'p'.repeat(500),
  });
  it('does not grow with the document size and lists a bounded number of documents', () => {
    const small = initialUserMessage(run(100_000));
    const big = initialUserMessage(run(16_000_000));
    expect(Math.abs(big.length - small.length) / small.length).toBeLessThan(0.01);
    const many = initialUserMessage(run(10, 500));
    expect(many).toContain(`and ${500 - MAX_LISTED_DOCUMENTS} more`);
    expect(many.split('\n').filter((l) => /^\s+\d+\. doc-/.test(l))).toHaveLength(MAX_LISTED_DOCUMENTS);
  });
  it('rebuilds tool_use/tool_result pairs and feedback from turns', () => {
    const msgs = buildConversation(run(10), [turn(1), turn(2, { kind: 'no_code', cells: [], feedback: 'run code please' })]);
    expect(msgs.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(msgs[1].content[1]).toMatchObject({ type: 'tool_use', id: 't1', input: { code: 'print(1)' } });
    expect(msgs[2].content[0]).toMatchObject({ type: 'tool_result', toolUseId: 't1', text: '1' });
    expect(msgs[4].content[0]).toMatchObject({ type: 'text', text: 'run code please' });
    const flat = flattenForToollessCall(msgs, 'answer now');
    expect(flat.every((m) => m.content.every((b) => b.type === 'text'))).toBe(true);
    expect((flat[flat.length - 1].content[0] as { text: string }).text.endsWith('answer now')).toBe(true);
  });
  it('shows "(no output)" for silent cells and always adds the turn footer', () => {
    expect(modelVisibleOutput('', 100, '[turn 1 of 3]')).toBe('(no output)\n[turn 1 of 3]');
  });
});

describe('accounting and limits', () => {
  it('sums root and sub usage and prices them', () => {
    const totals = computeTotals([turn(1), turn(2)], config);
    expect(totals).toMatchObject({ rootInputTokens: 2000, rootOutputTokens: 200, subInputTokens: 4000, subOutputTokens: 400, subCalls: 4, cellSeconds: 1 });
    const expected = 2 * costOf(config.rootModelId, { inputTokens: 1000, outputTokens: 100 }) + 2 * costOf(config.subModelId, { inputTokens: 2000, outputTokens: 200 });
    expect(totals.costUsd).toBeCloseTo(expected, 10);
    expect(totals.costUsd).toBeGreaterThan(0);
  });
  it('counts consecutive error turns and resets on a clean one', () => {
    const bad = turn(1, { kind: 'no_code', cells: [] });
    let t = addTurn(zeroTotals(), bad, config);
    t = addTurn(t, bad, config);
    expect(t.consecutiveErrors).toBe(2);
    expect(addTurn(t, turn(3), config).consecutiveErrors).toBe(0);
  });
  it('accepts the default price table and refuses one that would price a run as NaN', () => {
    expect(validatePriceTable(DEFAULT_PRICES)).toBe(DEFAULT_PRICES);
    expect(() => validatePriceTable({ nova: { input: 1, output: '2' } })).toThrow(/price of "nova": "output" must be a number/);
    expect(() => validatePriceTable([])).toThrow(ConfigError);
  });
  it('names the first limit reached', () => {
    const t = computeTotals([turn(1)], config);
    expect(exceededLimit(t, config)).toBeUndefined();
    expect(exceededLimit(t, { ...config, maxSubCalls: 2 })).toMatch(/maxSubCalls/);
    expect(exceededLimit(t, { ...config, maxTotalTokens: 1000 })).toMatch(/maxTotalTokens/);
    expect(exceededLimit(t, { ...config, maxCostUsd: 0.000001 })).toMatch(/maxCostUsd/);
  });
});

describe('input validation', () => {
  it('refuses bad run options by name', () => {
    expect(() => resolveRunConfig({ maxIterations: 0 })).toThrow(ConfigError);
    expect(() => resolveRunConfig({ maxIteration: 5 })).toThrow(/unknown run option "maxIteration"/);
    expect(resolveRunConfig({ maxIterations: 5 }).maxIterations).toBe(5);
  });
  it('refuses bad start requests with a message naming the problem', () => {
    expect(() => validateStartRequest({ question: ' ', documents: ['x'] })).toThrow(InvalidInputError);
    expect(() => validateStartRequest({ question: 'q', documents: [] })).toThrow(/documents/);
    expect(() => validateStartRequest({ question: 'q', documents: [3] })).toThrow(/documents\[0\]/);
    expect(validateStartRequest({ question: ' q ', documents: ['s3://b/k', { uri: 's3://b/p/', name: 'p' }] })).toEqual({ question: 'q', documents: ['s3://b/k', { uri: 's3://b/p/', name: 'p' }] });
  });
});

describe('document names', () => {
  it('suffixes repeated names without colliding with a document already called "a (2)"', () => {
    const ref = (name: string) => ({ name, uri: `mem://${name}`, chars: 1 });
    const names = uniqueNames([ref('a'), ref('a (2)'), ref('a'), ref('a'), ref('b')]).map((r) => r.name);
    expect(names).toEqual(['a', 'a (2)', 'a (3)', 'a (4)', 'b']);
    expect(new Set(names).size).toBe(names.length);
  });
});

test('retryable errors come from the error classes, one base per port', () => {
  const errors = jest.requireActual('../../lambdas/core/errors') as typeof import('../../lambdas/core/errors');
  const { isRetryable, RETRYABLE_ERROR_NAMES } = errors;
  expect(RETRYABLE_ERROR_NAMES).toEqual(['ModelThrottledError', 'ModelUnavailableError', 'SandboxThrottledError', 'SandboxUnavailableError', 'ConversationStoreThrottledError', 'ConversationStoreUnavailableError', 'DocumentStoreUnavailableError']);
  expect(isRetryable(new errors.SandboxUnavailableError('x'))).toBe(true);
  expect(isRetryable(new errors.SandboxSessionLostError('x'))).toBe(false);
  const named = Object.assign(new Error('x'), { name: 'ModelThrottledError' }); // a name string alone decides nothing
  expect(isRetryable(named)).toBe(false);
  // Cancellation is never retried, whichever port raised it.
  expect(isRetryable(new errors.AbortError('x'))).toBe(false);
  expect(isRetryable(new errors.RunCancelledError('x'))).toBe(false);
  // One base per port (the CLI's exit codes are derived from classes in bin/cli/exit-codes.ts, tested in test/cli).
  expect(new errors.ContextWindowExceededError('x')).toBeInstanceOf(errors.ModelError);
  expect(new errors.ModelNotConfiguredError('x')).toBeInstanceOf(errors.ModelError);
  expect(new errors.SandboxSessionLostError('x')).toBeInstanceOf(errors.SandboxError);
  expect(new errors.RunNotFoundError('x')).toBeInstanceOf(errors.ConversationStoreError);
  // Bad documents (a usage error, exit code 2) and a transient S3 failure (retried) share the documents port's base.
  expect(new errors.DocumentError('x')).toBeInstanceOf(errors.DocumentStoreError);
  expect(new errors.DocumentStoreUnavailableError('x')).toBeInstanceOf(errors.DocumentStoreError);
  expect(new errors.DocumentStoreUnavailableError('x')).not.toBeInstanceOf(errors.DocumentError);
  expect(new errors.AbortError('x')).not.toBeInstanceOf(errors.ModelError);
  expect(new errors.AbortError('x').name).toBe('AbortError');
});
