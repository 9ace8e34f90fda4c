/**
 * The twin's cloud assembly: `cdk synth` of the real app (bin/app.ts), with the real esbuild bundle of
 * every NodejsFunction, cached under `.rlm/twin/<hash>/cdk.out` and reused while its inputs are unchanged.
 * `cdk synth` needs no AWS credentials (the stack is environment-agnostic).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root (twin/ is one level below it). */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** Files and folders whose content decides the assembly (anything else leaves the cache valid). */
const SYNTH_INPUTS = ['bin/app.ts', 'lib', 'lambdas', 'package-lock.json', 'cdk.json', 'tsconfig.json'];

/** Options of {@link synthAssembly}. */
export interface SynthOptions {
  /** Where cached assemblies live. Default `<repo>/.rlm/twin`. */
  cacheDir?: string;
  /** Extra `-c key=value` context for the app (part of the cache key). */
  context?: Record<string, string>;
  /** Called with progress lines (e.g. "synthesizing ..."). */
  log?: (line: string) => void;
}

/** Where a synthesized assembly is and its template file. */
export interface Assembly {
  /** The cdk.out directory. */
  dir: string;
  /** Path of the stack's template JSON. */
  templatePath: string;
  /** The stack name (from the manifest). */
  stackName: string;
  /** True when the assembly came from the cache. */
  cached: boolean;
}

function listFiles(rel: string, out: string[]): void {
  const abs = path.join(REPO_ROOT, rel);
  if (!fs.existsSync(abs)) return;
  if (fs.statSync(abs).isDirectory()) {
    for (const name of fs.readdirSync(abs).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      listFiles(path.join(rel, name), out);
    }
  } else if (!/\.test\.ts$/.test(rel)) {
    out.push(rel);
  }
}

/** Hash of the synth inputs (paths and contents) and the context: the cache key. */
export function synthInputsHash(context: Record<string, string> = {}): string {
  const files: string[] = [];
  for (const input of SYNTH_INPUTS) listFiles(input, files);
  const h = createHash('sha256');
  h.update(JSON.stringify(context));
  for (const f of files) {
    h.update(f).update('\0').update(fs.readFileSync(path.join(REPO_ROOT, f))).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

function findStack(dir: string): { stackName: string; templatePath: string } {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  for (const [id, a] of Object.entries(manifest.artifacts ?? {})) {
    if (a.type === 'aws:cloudformation:stack' && a.properties?.templateFile) {
      return { stackName: a.properties.stackName ?? id, templatePath: path.join(dir, a.properties.templateFile) };
    }
  }
  throw new Error(`no CloudFormation stack in the cloud assembly at ${dir}`);
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => code === 0 ? resolve() : reject(new Error(`cdk synth failed (exit ${code}):\n${output.slice(-4000)}`)));
  });
}

/**
 * The cloud assembly of the current sources: from the cache when the inputs' hash matches, else a fresh
 * `cdk synth` into a temporary directory renamed into place (so concurrent callers never see half of one).
 */
export async function synthAssembly(options: SynthOptions = {}): Promise<Assembly> {
  const cacheDir = options.cacheDir ?? path.join(REPO_ROOT, '.rlm', 'twin');
  const context = options.context ?? {};
  const key = synthInputsHash(context);
  const dir = path.join(cacheDir, key, 'cdk.out');
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return { dir, ...findStack(dir), cached: true };
  options.log?.(`synthesizing the stack (cdk synth, about a minute) into ${dir}`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  const cdk = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk');
  const ctxArgs = Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  await run(cdk, ['synth', '-q', '-o', tmp, ...ctxArgs], REPO_ROOT);
  try {
    fs.renameSync(tmp, dir);
  } catch (err) {
    // Another process won the race: use its assembly.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, 'manifest.json'))) throw err;
  }
  return { dir, ...findStack(dir), cached: false };
}
