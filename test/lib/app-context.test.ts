/**
 * The CDK app as `npx cdk synth -c maxIteration=5` runs it (the CDK CLI hands `-c` values over in
 * CDK_CONTEXT_JSON): a mistyped context key or a bad value fails the synth with one line naming the key and
 * the likely one, not a stack trace and not a silent default.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');
const out = mkdtempSync(path.join(tmpdir(), 'rlm-app-context-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function synth(context: Record<string, unknown>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(root, 'bin', 'app.ts')], {
    cwd: root, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: out },
  });
  return { status: r.status, stderr: r.stderr };
}

it('refuses an unknown -c key naming the likely one, in one line', () => {
  const r = synth({ maxIteration: '5' });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ConfigError: unknown context key maxIteration; did you mean maxIterations\? \(known: /)]);
}, 120_000);

it('refuses a value out of the table\'s bounds, naming the key and the bounds', () => {
  const r = synth({ maxIterations: '500' });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe('ConfigError: maxIterations must be an integer from 1 to 200, got 500');
}, 120_000);
