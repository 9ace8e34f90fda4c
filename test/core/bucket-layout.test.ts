/**
 * One home for the bucket layout, the run-artifact keys and the run-ID pattern (`lambdas/core/bucket-layout.ts`):
 * the keys it gives, the run IDs it accepts, that the handler and the local store refuse the same IDs with the same
 * message, and that no other source file spells a prefix, an artifact file name or the run-ID pattern out.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import {
  BUCKET_PREFIXES, isValidRunId, RUN_ARTIFACT_KEYS, runArtifactObjectKey, runIdProblem, uploadPrefixFor,
} from '../../lambdas/core/bucket-layout';
import { TRIGGER_PREFIXES } from '../../lambdas/core/batch/layout';
import { isValidExecutionName } from '../../lambdas/core/batch/names';
import { FileConversationStore } from '../../lambdas/adapters/local-store';
import { S3_PREFIXES } from '../../lib/storage';
import { resultKeyFor } from '../../bin/remote/stack';

const root = path.join(__dirname, '..', '..');

test('keys and prefixes', () => {
  expect(RUN_ARTIFACT_KEYS.result('r1')).toBe('r1/result.json');
  expect(RUN_ARTIFACT_KEYS.cellOutput('r1', 3, 2)).toBe('r1/outputs/turn-0003-cell-2.txt');
  expect(runArtifactObjectKey('r1', 'trajectory.json')).toBe('results/r1/trajectory.json');
  expect(runArtifactObjectKey('r1', 'result.json', 'custom')).toBe('custom/r1/result.json');
  expect(resultKeyFor('r1', 'result.json')).toBe('results/r1/result.json');
  expect(uploadPrefixFor('r1')).toBe('documents/r1/');
  expect(TRIGGER_PREFIXES).toBe(BUCKET_PREFIXES);
  expect(S3_PREFIXES.results).toBe(BUCKET_PREFIXES.results);
});

test('run IDs: one pattern, one message, everywhere', () => {
  for (const ok of ['run-20250101-000000-abc123', 'a', 'job:x.y_z', 'x'.repeat(80)]) expect(isValidRunId(ok)).toBe(true);
  for (const bad of ['', '..', '.', 'a/b', 'a b', 'x'.repeat(81), 7, undefined]) expect(isValidRunId(bad)).toBe(false);
  expect(isValidExecutionName('job:x')).toBe(false); // generated names use the stricter alphabet
  const store = new FileConversationStore({ dir: path.join(root, '.never-written') });
  expect(() => store.runDir('../escape')).toThrow(runIdProblem('../escape'));
  expect(runIdProblem('a/b')).toMatch(/^runId "a\/b" must be 1-80 characters/);
});

/** Source files of the product (not tests, not the home module). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'generated.ts') return [];
    if (statSync(full).isDirectory()) return sources(full);
    return /\.(ts|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** What the layout declares, as a literal someone might write again. */
const SPELLED_OUT: Array<[string, RegExp]> = [
  ['a bucket prefix', /['"`](documents|inbox|jobs|batches|results)\/((pending|work|results|processed)\/)?(['"`]|\$\{)/],
  ['an artifact file name', /['"`/](result|trajectory)\.json['"`]/],
  ['the run-ID pattern', /\]\{1,80\}\$/],
];

/** Files allowed to spell one out, and why. */
const EXEMPT: Record<string, string> = {
  // The twin emulates Step Functions' own execution-name rule (an AWS limit, not the pipeline's run-ID pattern).
  'twin/stepfunctions/executions.ts': 'the run-ID pattern',
};

test('no other file hard-codes the layout, the artifact names or the run-ID pattern', () => {
  const home = path.join(root, 'lambdas', 'core', 'bucket-layout.ts');
  const offences: string[] = [];
  for (const file of ['lib', 'lambdas', 'bin', 'twin', 'api'].flatMap((d) => sources(path.join(root, d)))) {
    if (file === home) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const code = line.trim();
      if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return;
      for (const [what, pattern] of SPELLED_OUT) {
        if (EXEMPT[path.relative(root, file)] === what) continue;
        if (pattern.test(code)) offences.push(`${path.relative(root, file)}:${i + 1} spells out ${what}: ${code.slice(0, 120)}`);
      }
    });
  }
  expect(offences).toEqual([]);
});

test('the guard is not blind: it catches each kind of literal', () => {
  const samples = ["const p = 'results/';", 'const k = `results/${id}/x`;', "path.join(d, 'trajectory.json')", 'const k = `${id}/result.json`;', 'const re = /^[a-z]{1,80}$/;'];
  for (const s of samples) expect(SPELLED_OUT.some(([, p]) => p.test(s))).toBe(true);
});
