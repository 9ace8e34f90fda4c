/**
 * What one hand-off between two processes costs on this machine, and how it grows when the other side
 * has been idle: a loopback TCP ping-pong between this process and a child echo server, with the client
 * busy for `gap` between rounds (as the CLI is between the model server's replies, or the sandbox between
 * cells). A root turn here is four such hand-offs (CLI -> model server -> CLI -> sandbox -> CLI); the
 * reference implementation's is two (it runs the code in its own process).
 *
 *   npx tsx bench/peer/hand-off.ts [--bytes 14000] [--rounds 1000]
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';

const ECHO = "require('net').createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });";

const spin = (us: number) => {
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < end);
};

/** Median and p90 round trip (µs) of `rounds` pings of `bytes`, the client busy `gapUs` between them. */
function pingPong(port: number, bytes: number, rounds: number, gapUs: number): Promise<{ median: number; p90: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const payload = Buffer.alloc(bytes, 97);
    const times: number[] = [];
    let got = 0;
    let t0 = 0n;
    const send = () => {
      t0 = process.hrtime.bigint();
      socket.write(payload);
    };
    socket.on('error', reject);
    socket.on('connect', send);
    socket.on('data', (d) => {
      got += d.length;
      if (got < bytes) return;
      got = 0;
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (times.length === rounds) {
        socket.destroy();
        times.sort((a, b) => a - b);
        resolve({ median: times[rounds >> 1]!, p90: times[Math.floor(rounds * 0.9)]! });
        return;
      }
      if (gapUs) spin(gapUs);
      send();
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { bytes: { type: 'string' }, rounds: { type: 'string' } } });
  const bytes = Number(values.bytes ?? 14_000);
  const rounds = Number(values.rounds ?? 1000);
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
      child.once('exit', (code) => reject(new Error(`the echo server exited (${code})`)));
    });
    const lines = [`bench/peer/hand-off.ts: loopback TCP round trip of ${bytes} bytes, ${rounds} rounds each, ${os.cpus().length} cores, node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}`, '',
      '| client busy between rounds | round trip median µs | p90 µs |', '|---|---|---|'];
    for (const gapUs of [0, 500, 1000, 3000]) {
      const r = await pingPong(port, bytes, rounds, gapUs);
      lines.push(`| ${gapUs / 1000} ms | ${r.median.toFixed(0)} | ${r.p90.toFixed(0)} |`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    child.kill();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
