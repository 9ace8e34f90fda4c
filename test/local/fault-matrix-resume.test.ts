/**
 * The local fault matrix's crash points outside a run's own tasks (issue 10): `reopenRun` when `rlm resume`
 * reopens a failed run, and RecordFailure's stub `createRun` for a run that failed before its run item
 * existed. One injected fault per run x every fault kind, on the local engine (the definition from lib/ on
 * aws-local-stepfunctions, the on-disk store). Rows and counts: docs/reliability.md.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScriptedModel, type Script } from '../../lambdas/adapters/models';
import { ModelInvocationError } from '../../lambdas/core/errors';
import type { LanguageModel } from '../../lambdas/core/ports';
import { LocalEngine } from '../../bin/local/local-engine';
import { toFileUri } from '../../lambdas/adapters/documents';
import { FaultInjector, LedgerSandbox, type FaultKind } from './fault-kit';

const dir = mkdtempSync(path.join(tmpdir(), 'rlm-faults-resume-'));
const doc = path.join(dir, 'doc.txt');
writeFileSync(doc, 'hello');
const SCRIPT: Script = { root: [{ code: ['a = 1', 'sub 2'] }, { code: 'a += 10' }, { code: 'FINAL' }], sub: { default: 'ok' } };
const KINDS: FaultKind[] = ['throttle', '5xx', 'drop', 'kill-before', 'kill-after'];

/** The scripted model, whose 2nd root call fails for good while `failing` (not retryable: the run fails). */
class BreakableModel implements LanguageModel {
  readonly description = 'breakable';
  failing = true;
  rootReplies = 0;
  private rootCalls = 0;
  constructor(private readonly inner: LanguageModel) {}
  async converse(...args: Parameters<LanguageModel['converse']>) {
    if (args[0].role === 'root' && ++this.rootCalls === 2 && this.failing) throw new ModelInvocationError('access denied (not retryable)');
    const r = await this.inner.converse(...args);
    if (args[0].role === 'root') this.rootReplies += 1;
    return r;
  }
}

async function engineWith(injector: FaultInjector, model: LanguageModel) {
  const sandbox = new LedgerSandbox(new ScriptedModel(SCRIPT, { source: 'matrix' }));
  const engine = await LocalEngine.start({
    model, sandbox, stateDir: path.join(dir, `state-${Math.random().toString(36).slice(2)}`),
    runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' }, retryDelayOverrideMs: 0, wrapDeps: (deps) => injector.wrap(deps),
  });
  return { engine, sandbox };
}

test.each(KINDS)('rlm resume: reopening the failed run (reopenRun) x %s: the run then finishes once, turns 1..3, no cell run twice', async (kind) => {
  const injector = new FaultInjector({ op: 'store.reopenRun' }, kind);
  const model = new BreakableModel(new ScriptedModel(SCRIPT, { source: 'matrix' }));
  const { engine, sandbox } = await engineWith(injector, model);
  try {
    const failed = await engine.run({ question: 'q', documents: [toFileUri(doc)] });
    expect(failed.status).toBe('failed');
    model.failing = false;
    // Transient faults are retried in the resume; a killed resume is run again by the user.
    let attempts = 1;
    let resumed = await engine.resume(failed.runId).catch(() => undefined);
    if (!resumed) {
      attempts += 1;
      resumed = await engine.resume(failed.runId);
    }
    expect(injector.fired).toBe(true);
    expect(attempts).toBe(kind.startsWith('kill') ? 2 : 1);
    // RecordFailure stopped the session: turn 2 runs on a new one (told so), where `a` is gone.
    expect(resumed).toMatchObject({ status: 'succeeded', answer: 'a=10', iterations: 3 });
    const turns = await engine.deps.store.listTurns(failed.runId);
    expect(turns.map((t) => t.index)).toEqual([1, 2, 3]);
    expect(turns[1].cells[0].result.notices?.some((n) => /session was lost/.test(n))).toBe(true);
    expect(sandbox.executions).toEqual(['a = 1', 'sub 2', 'a += 10', 'FINAL']);
    expect(model.rootReplies).toBe(3);
    expect((await engine.deps.store.getRun(failed.runId)).totals.subCalls).toBe(2);
    expect(sandbox.open.size).toBe(0);
  } finally {
    await engine.close();
  }
});

test.each(KINDS)('RecordFailure: the stub run item of a run that failed before it had one (createRun) x %s: recorded failed with the first error', async (kind) => {
  const injector = new FaultInjector({ op: 'store.createRun' }, kind);
  const model = new BreakableModel(new ScriptedModel(SCRIPT, { source: 'matrix' }));
  const { engine, sandbox } = await engineWith(injector, model);
  try {
    // A missing document fails StartRun before the run item is written (not retryable).
    const summary = await engine.run({ question: 'q', documents: [toFileUri(path.join(dir, 'missing.txt'))] });
    expect(injector.fired).toBe(true);
    expect(summary.status).toBe('failed');
    const run = await engine.deps.store.getRun(summary.runId);
    expect(run.status).toBe('failed');
    expect(run.error?.name).toMatch(/^Document/);
    expect(run.stopDetail).toContain('missing.txt');
    expect(await engine.deps.store.listTurns(summary.runId)).toEqual([]);
    expect(sandbox.executions).toEqual([]);
    expect(model.rootReplies).toBe(0);
    expect(sandbox.open.size).toBe(0);
  } finally {
    await engine.close();
  }
});
