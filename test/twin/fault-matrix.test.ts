/**
 * The fault matrix on the AWS path, asserted (issue 10): the demo question through the synthesized stack on the
 * twin, once unfaulted and once per representative case (`quick` in twin/fault-matrix/cases.ts: one per crash
 * point x fault kind), each row checked for what it promises (twin/fault-matrix/observe.ts `violations`): the
 * unfaulted answer, the root model answered once per turn, no cell run twice, sub-calls made and counted once,
 * turns 1..n without gap or duplicate, no session left running — or, for a fault that never clears, a failed run
 * recorded with its transcript. The full matrix: `npm run twin:faults` (docs/twin.md).
 */
import * as path from 'node:path';
import { FaultSwitchboard } from '../../twin/faults';
import { twinEmulators, type StartedEmulators } from '../../twin/emulators';
import { MATRIX_CASES } from '../../twin/fault-matrix/cases';
import { matrixContext, runCase, violations, type MatrixContext, type Observation } from '../../twin/fault-matrix/observe';
import { REPO_ROOT } from '../../twin/synth';
import { Twin } from '../../twin/twin';
import { TWIN_START_TIMEOUT_MS, TWIN_TEST_TIMEOUT_MS } from './twin-harness';

jest.setTimeout(TWIN_TEST_TIMEOUT_MS);

const DEMO = path.join(REPO_ROOT, 'examples', 'demo');
let twin: Twin;
let ctx: MatrixContext;
let base: Observation;

beforeAll(async () => {
  const faults = new FaultSwitchboard();
  const started: StartedEmulators = {};
  twin = await Twin.start({ faults, retryDelayOverrideMs: 0, emulators: twinEmulators({ script: path.join(DEMO, 'script.json'), faults }, started) });
  ctx = await matrixContext(twin, faults, started, DEMO);
  base = await runCase(ctx, MATRIX_CASES[0], 'fm-base');
}, TWIN_START_TIMEOUT_MS + TWIN_TEST_TIMEOUT_MS);
afterAll(async () => { await twin?.close(); });

test('the unfaulted run: the demo answer in 5 turns, 5 cells and 3 sub-calls, its session stopped', () => {
  expect(violations(MATRIX_CASES[0], base, base)).toEqual([]);
  expect({ status: base.status, turns: base.turns.length, root: base.rootAnswered, cells: base.cells.length, sub: base.subAnswered, subCounted: base.result?.usage?.subCalls })
    .toEqual({ status: 'SUCCEEDED', turns: 5, root: 5, cells: 5, sub: 3, subCounted: 3 });
  expect(base.result?.answer).toMatch(/had the most incidents/);
  expect({ sessions: base.sessions, left: base.sessionsLeftRunning }).toEqual({ sessions: 1, left: 0 });
});

const quick = MATRIX_CASES.filter((c) => c.quick && c.faults.length > 0);

test.each(quick.map((c, i) => [c.label, c, i] as const))('%s', async (_label, c, i) => {
  const o = await runCase(ctx, c, `fm-${i}`);
  expect(violations(c, o, base)).toEqual([]);
  if (c.label.startsWith('StartRun killed')) {
    // The killed StartRun's session was found by the run's name and stopped by the retried StartRun.
    expect(o.states.slice(0, 2)).toEqual(['StartRun', 'StartRun']);
    expect({ sessions: o.sessions, left: o.sessionsLeftRunning }).toEqual({ sessions: 2, left: 0 });
  }
  if (c.label.startsWith('RootTurn container killed')) expect(o.states.filter((s) => s === 'RootTurn').length).toBeGreaterThan(base.turns.length);
});
