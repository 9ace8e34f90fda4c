/**
 * Test helper: a persistent CPython process (`fake_kernel.py`) standing in for the AgentCore kernel,
 * with AWS faked below real boto3/botocore. Used to run the adapter's setup Python and cells for real.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { InvokeCodeInterpreterCommandOutput } from '@aws-sdk/client-bedrock-agentcore';
import { invokeOutput, resultEvent } from './stream-fixtures';

/** What the fake kernel answers for one execution. */
export interface KernelReply {
  stdout: string;
  stderr: string;
  isError: boolean;
  /** Seconds the kernel spent (the adapter does not read it). */
  executionTime: number;
}

/** One request the fake AWS saw. */
export type FakeAwsLogEntry =
  | { service: 's3'; host: string; method: string; bucket: string; key: string }
  | { service: 'converse'; host: string; model: string; prompt: string; keys: string[] };

/** Whether `python3` with boto3 is available here; the real-CPython tests need it. */
export function pythonWithBoto3(): { ok: boolean; why?: string } {
  const r = spawnSync('python3', ['-c', 'import boto3, botocore, sys; assert sys.version_info >= (3, 9)'], { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `python3 not runnable: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, why: `python3 lacks boto3 (>= 3.9 needed): ${r.stderr.trim()}` };
  return { ok: true };
}

/** A running fake kernel. */
export class PythonKernel {
  private readonly waiting: Array<(line: string) => void> = [];
  private stderrText = '';

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly dir: string,
  ) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line.startsWith('@@KERNEL@@')) this.waiting.shift()?.(line.slice('@@KERNEL@@'.length));
    });
    proc.stderr.on('data', (d: Buffer) => (this.stderrText += d.toString()));
  }

  /** Start a kernel whose fake S3 serves `documents` (`"bucket/key"` -> bytes). */
  static start(documents: Record<string, Uint8Array | string>): PythonKernel {
    const dir = mkdtempSync(path.join(tmpdir(), 'rlm-fake-kernel-'));
    const docs: Record<string, string> = {};
    for (const [k, v] of Object.entries(documents)) docs[k] = Buffer.from(v).toString('base64');
    writeFileSync(path.join(dir, 'fixture.json'), JSON.stringify({ documents: docs }));
    const proc = spawn('python3', ['-u', path.join(__dirname, 'fake_kernel.py')], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        FAKE_AWS_FIXTURE: path.join(dir, 'fixture.json'),
        FAKE_AWS_LOG: path.join(dir, 'aws.log'),
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_CONFIG_FILE: path.join(dir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        PYTHONDONTWRITEBYTECODE: '1',
      },
    });
    return new PythonKernel(proc, dir);
  }

  /** Execute code like `executeCode` does; resolves with what the kernel printed. */
  run(code: string, timeoutMs = 30_000): Promise<KernelReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake kernel did not answer in ${timeoutMs} ms; stderr: ${this.stderrText}`)), timeoutMs);
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as KernelReply);
      });
      this.proc.stdin.write(JSON.stringify({ code }) + '\n');
    });
  }

  /** Requests the fake AWS answered so far. */
  awsLog(): FakeAwsLogEntry[] {
    const file = path.join(this.dir, 'aws.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeAwsLogEntry);
  }

  /** Stop the process and remove its temp dir. */
  async close(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.stdin.end();
      this.proc.kill();
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An InvokeCodeInterpreter response carrying a kernel reply, shaped like the real event stream. */
export function invokeResponse(sessionId: string, reply: KernelReply): InvokeCodeInterpreterCommandOutput {
  return { ...invokeOutput([resultEvent(reply.stdout, reply.stderr, reply.isError)]), sessionId };
}
