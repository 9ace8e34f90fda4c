/**
 * moto in server mode on loopback: the twin's S3, DynamoDB, EventBridge, SQS, STS and CloudFormation
 * (`python3 -m moto.server`), and the resources the template declares, created from the template's own
 * properties by `moto_setup.py` (boto3).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';

/** How to get moto where it is missing. */
export const MOTO_INSTALL_HINT =
  'the twin needs python3 with moto[server] 5.x and boto3: `pip install "moto[server]>=5.2,<6" boto3` '
  + '(Debian: `apt-get install -y python3-pip && pip install --break-system-packages "moto[server]>=5.2,<6" boto3`)';

/** A running moto server. */
export interface MotoServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The python3 to use (`RLM_TWIN_PYTHON` or `python3`). */
export function pythonCommand(): string {
  return process.env.RLM_TWIN_PYTHON || 'python3';
}

/** Throws a clear error naming what to install when python3, moto or boto3 is missing. */
export function checkMotoAvailable(): void {
  const r = spawnSync(pythonCommand(), ['-c', 'import moto, boto3, flask, flask_cors; print(moto.__version__)'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`moto is not available (${r.error?.message ?? r.stderr.trim().split('\n').pop()}); ${MOTO_INSTALL_HINT}`);
  }
  const major = Number(r.stdout.trim().split('.')[0]);
  if (major !== 5) throw new Error(`moto ${r.stdout.trim()} found, the twin is checked against moto 5.x; ${MOTO_INSTALL_HINT}`);
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`moto server exited (${child.exitCode}): ${output().slice(-2000)}`);
    try {
      const res = await fetch(`${url}/moto-api/data.json`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`moto server did not answer within 30 s: ${output().slice(-2000)}`);
}

/** Start moto on a free loopback port and wait until it answers. */
export async function startMoto(): Promise<MotoServer> {
  checkMotoAvailable();
  const port = await freePort();
  const child = spawn(pythonCommand(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true', PYTHONUNBUFFERED: '1' },
  });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-20_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(url, child, () => out);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url, port,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    }),
  };
}

/** Resources to create in moto (resolved template properties). */
export interface MotoResources {
  tables: Array<{ name: string; properties: Record<string, unknown> }>;
  buckets: Array<{ name: string; properties: Record<string, unknown>; eventBridge: boolean }>;
  queues: Array<{ name: string; properties: Record<string, unknown> }>;
  rules: Array<{ name: string; properties: Record<string, unknown> }>;
  /** A CloudFormation stack whose outputs are the twin's names (DescribeStacks for `rlm submit`). */
  stack?: { name: string; outputs: Record<string, string> };
}

/** Create the resources with boto3 (`moto_setup.py`). */
export async function createMotoResources(endpoint: string, region: string, resources: MotoResources): Promise<void> {
  const script = path.join(__dirname, 'moto_setup.py');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(pythonCommand(), [script], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'twin', AWS_SECRET_ACCESS_KEY: 'twin', AWS_SESSION_TOKEN: '', AWS_DEFAULT_REGION: region },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => code === 0 ? resolve() : reject(new Error(`creating the twin's resources in moto failed: ${out.slice(-3000)}`)));
    child.stdin.end(JSON.stringify({ endpoint, region, ...resources }));
  });
}
