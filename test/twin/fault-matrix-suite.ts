/**
 * The fault matrix on the AWS path, asserted (issue 10), shared by the three `fault-matrix*.test.ts` files (one
 * per `matrixGroup` of twin/fault-matrix/cases.ts, so jest runs them side by side): the demo question through the
 * synthesized stack on the twin, once unfaulted and once per case of the group, each row checked for what it
 * promises (twin/fault-matrix/observe.ts `violations`): the unfaulted answer, the root model answered once per
 * turn, no cell run twice, sub-calls made and counted once, turns 1..n without gap or duplicate, no session left
 * running — or, for a fault that never clears, a failed run recorded with its transcript. The same rows, printed
 * as a table: `npm run twin:faults` (docs/twin.md).
 */
import * as path from 'node:path';
import { FaultSwitchboard } from '../../twin/faults';
import { twinEmulators, type StartedEmulators } from '../../twin/emulators';
import { MATRIX_CASES, matrixGroup, type MatrixCase, type MatrixGroup } from '../../twin/fault-matrix/cases';
import { matrixContext, runCase, violations, type MatrixContext, type Observation } from '../../twin/fault-matrix/observe';
import { REPO_ROOT } from '../../twin/synth';
import { Twin } from '../../twin/twin';
import { TWIN_START_TIMEOUT_MS, TWIN_TEST_TIMEOUT_MS } from './twin-harness';

const DEMO = path.join(REPO_ROOT, 'examples', 'demo');

/** Extra checks of one row, beyond `violations` (called with the row's observation). */
export type RowCheck = (c: MatrixCase, o: Observation, base: Observation) => void;

/** Declare the tests of one group: a twin, the unfaulted baseline, then one test per faulted case of `group`. */
export function faultMatrixSuite(group: MatrixGroup, extra: RowCheck = () => {}): void {
  jest.setTimeout(TWIN_TEST_TIMEOUT_MS);
  let twin: Twin;
  let ctx: MatrixContext;
  let base: Observation;

  beforeAll(async () => {
    const faults = new FaultSwitchboard();
    const started: StartedEmulators = {};
    twin = await Twin.start({ faults, retryDelayOverrideMs: 0, emulators: twinEmulators({ script: path.join(DEMO, 'script.json'), faults }, started) });
    ctx = await matrixContext(twin, faults, started, DEMO);
    base = await runCase(ctx, MATRIX_CASES[0], `fm-${group}-base`);
  }, TWIN_START_TIMEOUT_MS + TWIN_TEST_TIMEOUT_MS);
  afterAll(async () => { await twin?.close(); });

  test('the unfaulted run: the demo answer in 5 turns, 5 cells and 3 sub-calls, its session stopped', () => {
    expect(violations(MATRIX_CASES[0], base, base)).toEqual([]);
    expect({ status: base.status, turns: base.turns.length, root: base.rootAnswered, cells: base.cells.length, sub: base.subAnswered, subCounted: base.result?.usage?.subCalls })
      .toEqual({ status: 'SUCCEEDED', turns: 5, root: 5, cells: 5, sub: 3, subCounted: 3 });
    expect(base.result?.answer).toMatch(/had the most incidents/);
    expect({ sessions: base.sessions, left: base.sessionsLeftRunning }).toEqual({ sessions: 1, left: 0 });
  });

  const rows = MATRIX_CASES.filter((c) => c.faults.length > 0 && matrixGroup(c) === group);
  test.each(rows.map((c, i) => [c.label, c, i] as const))('%s', async (_label, c, i) => {
    const o = await runCase(ctx, c, `fm-${group}-${i}`);
    expect(violations(c, o, base)).toEqual([]);
    extra(c, o, base);
  });
}
