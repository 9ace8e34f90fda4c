/**
 * The package as a new user gets it: `npm pack` (which runs `prepare` = the build), then a fresh CDK app in
 * plain JavaScript in a temp dir installs the tarball with aws-cdk-lib and constructs (`npm ci --offline` from a
 * lock derived from this repository's: npm's cache, no network), and
 *  - imports RlmPipeline from `rlm-pipeline/cdk` and synthesizes with NO feature flags (no cdk.json), the
 *    nine Lambdas bundled by esbuild from the package's compiled handlers;
 *  - calls runRlm from `rlm-pipeline` with a scripted model over a file and gets the answer the scripted
 *    code computed in the sandbox.
 * Slow (a build, an install, nine bundles): one file, generous timeouts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeConsumerLock } from './consumer-lock';

const root = path.join(__dirname, '..', '..');
const work = mkdtempSync(path.join(tmpdir(), 'rlm-consumer-'));
const app = path.join(work, 'app');
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });

jest.setTimeout(1_200_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

let tarball = '';

beforeAll(() => {
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], root)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/cdk.js', 'dist/cdk.d.ts', 'dist/cli.js', 'LICENSE', 'bin/rlm-launcher.mjs']));
  expect(files.some((f) => f.startsWith('test/') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false);
  execFileSync('mkdir', ['-p', app]);
  writeConsumerLock(root, app, tarball);
  npm(['ci', '--offline', '--no-audit', '--no-fund'], app);
  expect(existsSync(path.join(app, 'node_modules', 'rlm-pipeline', 'dist', 'cdk.js'))).toBe(true);
});

it('synthesizes RlmPipeline from rlm-pipeline/cdk in an app with no feature flags', () => {
  writeFileSync(path.join(app, 'app.js'), `
const { App, Stack } = require('aws-cdk-lib');
const { RlmPipeline } = require('rlm-pipeline/cdk');
const app = new App({ outdir: 'cdk.out' });
const flags = Object.keys(app.node.getAllContext()).filter((k) => k.startsWith('@aws-cdk'));
const stack = new Stack(app, 'Consumer');
const pipeline = new RlmPipeline(stack, 'Rlm');
const template = app.synth().getStackByName('Consumer').template;
const types = Object.values(template.Resources).map((r) => r.Type);
console.log(JSON.stringify({ flags, functions: types.filter((t) => t === 'AWS::Lambda::Function').length,
  buckets: types.filter((t) => t === 'AWS::S3::Bucket').length, bucketName: typeof pipeline.bucket.bucketName }));
`);
  expect(existsSync(path.join(app, 'cdk.json'))).toBe(false);
  const out = JSON.parse(execFileSync(process.execPath, ['app.js'], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 }).trim().split('\n').pop()!);
  // nine handlers of ours (docs/deploy.md) and CDK's bucket-notification helper
  expect(out).toEqual({ flags: [], functions: 10, buckets: 2, bucketName: 'string' });
  // Every function of ours was bundled from the package's compiled handler into an asset with an index.js.
  const assets = readdirSync(path.join(app, 'cdk.out')).filter((d) => d.startsWith('asset.'));
  const bundled = assets.filter((d) => existsSync(path.join(app, 'cdk.out', d, 'index.js')) && readFileSync(path.join(app, 'cdk.out', d, 'index.js'), 'utf8').includes('rlm-pipeline'));
  expect(bundled.length).toBeGreaterThanOrEqual(9);
});

it('runs a scripted question over a file with runRlm from rlm-pipeline', () => {
  writeFileSync(path.join(app, 'fruit.txt'), 'apple\nbanana\napple pie\ncherry\napple juice\n');
  writeFileSync(path.join(app, 'script.json'), JSON.stringify({
    root: [{ text: 'Count the lines that mention apple.', code: "n = sum(1 for line in context.splitlines() if 'apple' in line)\nFINAL(f'{n} lines mention apple')" }],
  }));
  writeFileSync(path.join(app, 'run.js'), `
const { runRlm } = require('rlm-pipeline');
runRlm({ question: 'How many lines mention apple?', documents: 'fruit.txt', llm: 'scripted:script.json', stateDir: '.rlm', maxIterations: 3 })
  .then((s) => console.log(JSON.stringify({ answer: s.answer, stopReason: s.stopReason, status: s.status })));
`);
  const out = JSON.parse(execFileSync(process.execPath, ['run.js'], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }).trim().split('\n').pop()!);
  expect(out).toEqual({ answer: '3 lines mention apple', stopReason: 'final', status: 'succeeded' });
});
