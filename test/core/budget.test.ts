/**
 * Caps at call time, core side: the budget each cell gets, the rest of a turn after a capped cell, the
 * stop as `limit`, and the price rules (no model silently costs $0).
 */
import { zeroTotals } from '../../lambdas/core/accounting';
import { allowedModelsOf, cellBudget, withCell, withRootCall } from '../../lambdas/core/budget';
import { emptySubStats } from '../../lambdas/core/cell-report';
import { resolveRunConfig } from '../../lambdas/core/config';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { ConfigError } from '../../lambdas/core/errors';
import { noMetrics, silentLogger, type CellExecOptions, type Sandbox } from '../../lambdas/core/ports';
import { requirePrices, unpricedModelsOf } from '../../lambdas/core/pricing';
import { finalizeRun, startRun, summarize } from '../../lambdas/core/run-lifecycle';
import { runRootTurn } from '../../lambdas/core/turn-step';
import type { CellResult, RunTotals } from '../../lambdas/core/types';
import { DynamoConversationStore } from '../../lambdas/adapters/dynamodb';
import { createConversationTable, startDynalite, type EmbeddedDynalite } from '../../lambdas/adapters/dynamodb/embedded-dynalite';
import { ScriptedModel, type Script } from '../../lambdas/adapters/models';

const config = resolveRunConfig({ rootModelId: 'claude-sonnet-4-5', subModelId: 'claude-haiku-4-5', maxSubCalls: 100, maxTotalTokens: 10_000, maxCostUsd: 1 });
const spent = (over: Partial<RunTotals>): RunTotals => ({ ...zeroTotals(), ...over });

describe('cellBudget', () => {
  it('gives what is left of each cap, the allowlist (sub model first) and the allowed models\' prices', () => {
    const b = cellBudget(config, spent({ subCalls: 30, rootInputTokens: 2_000, subOutputTokens: 500, costUsd: 0.25 }));
    expect(b).toEqual({
      calls: 70, tokens: 7_500, costUsd: 0.75, allowedModels: ['claude-haiku-4-5', 'claude-sonnet-4-5'],
      prices: { 'claude-haiku-4-5': { input: 1, output: 5 }, 'claude-sonnet-4-5': { input: 3, output: 15 } },
    });
  });

  it('never goes below zero and leaves out caps that are not set', () => {
    expect(cellBudget(config, spent({ subCalls: 500, costUsd: 9 }))).toMatchObject({ calls: 0, costUsd: 0 });
    const open = cellBudget(resolveRunConfig({ rootModelId: 'a', subModelId: 'a' }), zeroTotals());
    expect(open).toEqual({ allowedModels: ['a'], prices: {} });
  });

  it('counts this turn\'s root call and the earlier cells of the turn', () => {
    const afterRoot = withRootCall(zeroTotals(), 'claude-sonnet-4-5', { inputTokens: 1_000, outputTokens: 100 });
    expect(afterRoot.costUsd).toBeCloseTo(0.0045, 10);
    const afterCell = withCell(afterRoot, { sub: { ...emptySubStats(), calls: 4, inputTokens: 400, outputTokens: 40 } }, config);
    expect(cellBudget(config, afterCell)).toMatchObject({ calls: 96, tokens: 10_000 - 1_540 });
    expect(allowedModelsOf({ rootModelId: 'x', subModelId: 'x' })).toEqual(['x']);
  });
});

describe('prices', () => {
  it('an explicit table must price every configured model (ConfigError naming it)', () => {
    expect(() => requirePrices({ rootModelId: 'claude-sonnet-4-5', subModelId: 'my-model' }, { sonnet: { input: 3, output: 15 } }))
      .toThrow(new ConfigError('the price table has no entry for "my-model": add one (USD per 1M tokens), or the run\'s cost would count it as $0'));
    expect(() => requirePrices({ rootModelId: 'a-1', subModelId: 'a-2' }, { a: { input: 1, output: 1 } })).not.toThrow();
  });

  it('with the default table an unknown model is allowed, unless a cost cap would have to bound it', () => {
    expect(() => requirePrices({ rootModelId: 'local-model', subModelId: 'local-model' }, undefined)).not.toThrow();
    expect(() => requirePrices({ rootModelId: 'local-model', subModelId: 'local-model', maxCostUsd: 1 }, undefined)).toThrow(ConfigError);
    expect(() => requirePrices({ rootModelId: 'local-model', subModelId: 'local-model', maxCostUsd: 1 }, undefined)).toThrow(/maxCostUsd cannot be enforced: no price for "local-model"/);
  });

  it('lists the unpriced models a run used', () => {
    const cell = (model: string, calls = 1): CellResult['sub'] => ({ ...emptySubStats(), calls, records: [{ model, promptChars: 1, responseChars: 1, promptPreview: '', responsePreview: '', inputTokens: 1, outputTokens: 1, durationMs: 1 }] });
    const turn = { rootModelId: 'claude-sonnet-4-5', rootUsage: { inputTokens: 5, outputTokens: 5 }, cells: [{ result: { sub: cell('mystery-model') } }, { result: { sub: { ...emptySubStats(), calls: 2 } } }] };
    expect(unpricedModelsOf([turn as never], { subModelId: 'other-unknown' })).toEqual(['mystery-model', 'other-unknown']);
  });
});

// ---------------------------------------------------------------- the turn step with a capping sandbox

/** A sandbox that records each cell's budget and answers with `onCell`. */
class BudgetSandbox implements Sandbox {
  readonly description = 'budget';
  budgets: CellExecOptions['budget'][] = [];
  executed: string[] = [];
  constructor(public onCell: (code: string, options: CellExecOptions) => Partial<CellResult>) {}
  async start() {
    const session = {
      sessionId: 's1',
      execute: async (code: string, options: CellExecOptions) => {
        this.executed.push(code);
        this.budgets.push(options.budget);
        return { stdout: '', stderr: '', timedOut: false, raised: false, durationMs: 1, sub: emptySubStats(), ...this.onCell(code, options) };
      },
      close: async () => {},
    };
    return { session, loaded: { documents: [{ name: 'doc', uri: 'mem://doc', chars: 10 }], totalChars: 10, preview: 'p' } };
  }
  async resume() { return (await this.start()).session; }
  async stop() {}
}

let db: EmbeddedDynalite;
let n = 0;
beforeAll(async () => {
  db = await startDynalite();
  await createConversationTable(db.client, 'turns');
});
afterAll(() => db.close());

async function setup(script: Script, sandbox: BudgetSandbox, options: Record<string, unknown>) {
  const deps: EngineDeps = {
    store: new DynamoConversationStore({ client: db.client, tableName: 'turns' }), sandbox,
    model: new ScriptedModel(script, { source: 'test' }), logger: silentLogger, metrics: noMetrics, events: { runFinished: async () => {} },
    documents: { resolve: async (uri) => [{ name: 'doc', uri, chars: 10 }], readText: async () => 'x', putArtifact: async (key) => `mem://${key}` },
  };
  const runId = `cap-${++n}`;
  await startRun(deps, { runId, request: { question: 'q', documents: ['mem://doc'] } }, { rootModelId: 'scripted', subModelId: 'scripted', ...options });
  return { deps, runId };
}

const usedSub = (calls: number): CellResult['sub'] => ({ ...emptySubStats(), calls, inputTokens: calls * 10, outputTokens: calls });

test('each cell gets the budget left after the earlier cells of the turn', async () => {
  const sandbox = new BudgetSandbox(() => ({ sub: usedSub(3) }));
  const { deps, runId } = await setup({ root: [{ code: ['a()', 'b()'] }] }, sandbox, { maxSubCalls: 10 });
  await runRootTurn(deps, { runId });
  expect(sandbox.budgets.map((b) => b?.calls)).toEqual([10, 7]);
  expect(sandbox.budgets[0]?.allowedModels).toEqual(['scripted']);
});

test('after a capped cell the rest of the turn is not executed and the run stops as limit, with a last tool-less call', async () => {
  const sandbox = new BudgetSandbox((code) => (code === 'many()' ? { sub: usedSub(5), capReached: 'maxSubCalls (5 sub-calls were left for this cell)' } : {}));
  const { deps, runId } = await setup({ root: [{ code: ['many()', 'more()'] }, { text: 'best effort answer' }] }, sandbox, { maxSubCalls: 5 });
  const first = await runRootTurn(deps, { runId });
  expect(first.done).toBe(false);
  expect(sandbox.executed).toEqual(['many()']);
  const [turn] = await deps.store.listTurns(runId);
  expect(turn.cells[1].modelOutput).toMatch(/Not executed: maxSubCalls \(5 sub-calls were left for this cell\) reached/);
  const second = await runRootTurn(deps, { runId });
  expect(second).toMatchObject({ done: true, stopReason: 'limit' });
  await finalizeRun(deps, runId);
  const summary = summarize(await deps.store.getRun(runId), await deps.store.listTurns(runId));
  expect(summary).toMatchObject({ stopReason: 'limit', answer: 'best effort answer', stopDetail: expect.stringMatching(/^maxSubCalls/) });
});

test('a cap reached without the totals crossing the limit still stops the run (the cell said so)', async () => {
  // The sandbox refused a call (e.g. a token estimate) though the recorded totals stay under the caps.
  const sandbox = new BudgetSandbox(() => ({ capReached: 'maxTotalTokens (12 tokens were left for this cell)' }));
  const { deps, runId } = await setup({ root: [{ code: 'x()' }, { text: 'done' }] }, sandbox, { maxTotalTokens: 1_000_000 });
  await runRootTurn(deps, { runId });
  expect(await runRootTurn(deps, { runId })).toMatchObject({ done: true, stopReason: 'limit' });
  const run = await deps.store.getRun(runId);
  const turns = await deps.store.listTurns(runId);
  expect(summarize(run, turns).stopDetail).toBe('maxTotalTokens (12 tokens were left for this cell)');
});
