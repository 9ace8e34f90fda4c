/**
 * A moto server on loopback for the emulator tests (h5's shared twin lifecycle helper replaces this when merged):
 * `python3 -m moto.server -H 127.0.0.1 -p PORT`, waited for with a bounded poll, killed at stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A running moto server. */
export interface MotoServer { endpoint: string; stop(): Promise<void> }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts moto and resolves once it answers (at most ~30 s). */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const proc: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`moto exited (${proc.exitCode}): ${log}`);
    const ok = await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false);
    if (ok) {
      return {
        endpoint,
        stop: () => new Promise<void>((resolve) => {
          if (proc.exitCode !== null) return resolve();
          proc.once('exit', () => resolve());
          proc.kill('SIGKILL');
        }),
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGKILL');
  throw new Error(`moto did not answer within 30 s: ${log}`);
}
