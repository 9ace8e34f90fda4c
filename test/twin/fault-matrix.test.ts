/**
 * The fault matrix on the AWS path (issue 10), its representative rows (one per crash point x fault kind); the
 * other rows are in fault-matrix-calls.test.ts and fault-matrix-steps.test.ts (see fault-matrix-suite.ts).
 */
import { MATRIX_CASES, matrixGroup } from '../../twin/fault-matrix/cases';
import { faultMatrixSuite } from './fault-matrix-suite';

test('the three matrix files together assert every case of the matrix once, but the one slow row', () => {
  const groups = MATRIX_CASES.filter((c) => c.faults.length > 0).map(matrixGroup);
  expect(groups.length).toBe(MATRIX_CASES.length - 1);
  expect(new Set(groups)).toEqual(new Set(['quick', 'calls', 'steps', 'slow']));
  expect(MATRIX_CASES.filter((c) => matrixGroup(c) === 'slow').map((c) => c.label)).toEqual(['DynamoDB PutItem throttle ×∞ from the 3rd']);
});

faultMatrixSuite('quick', (c, o, base) => {
  if (c.label.startsWith('StartRun killed')) {
    // The killed StartRun's session was found by the run's name and stopped by the retried StartRun.
    expect(o.states.slice(0, 2)).toEqual(['StartRun', 'StartRun']);
    expect({ sessions: o.sessions, left: o.sessionsLeftRunning }).toEqual({ sessions: 2, left: 0 });
  }
  if (c.label.startsWith('RootTurn container killed')) expect(o.states.filter((s) => s === 'RootTurn').length).toBeGreaterThan(base.turns.length);
});
