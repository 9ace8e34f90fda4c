/**
 * Where the reference implementation's root turn goes, for issue 13's per-turn comparison: the workload of
 * `bench/peer.ts --only turns` (31 turns, `x = len(context)` each, zero-latency fake server), with the
 * bench's `openai` stand-in recording when each request started and its response was read
 * (`PEER_CALL_TIMES`). Per turn, over turns 10-30, medians of each run:
 *   - turn: the server's reply k to the arrival of request k+1 (what bench/peer.ts reports);
 *   - HTTP: the client's round trip of request k+1 minus the server's own time on it;
 *   - client: from reading response k to starting request k+1 (parsing the reply, running the code with
 *     `exec` in the same process, building and encoding the next request).
 *
 *   npx tsx bench/peer/reference-split.ts --reference DIR [--runs 3]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeServer } from './fake-openai-server';

const TURNS = 31;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function runOnce(reference: string, tmp: string): Promise<{ turn: number; http: number; client: number }> {
  const doc = path.join(tmp, 'doc.txt');
  writeFileSync(doc, 'line: the quick brown fox jumps over the lazy dog\n'.repeat(2000));
  const times = path.join(tmp, 'call-times.json');
  const server = await startFakeServer();
  const trace = server.arm({ code: ['x = len(context)\nprint(x)'], finalCode: 'answer["content"] = "done"\nanswer["ready"] = True', turns: TURNS, subDelayMs: 0 });
  try {
    const child = spawn('python3', [path.join(__dirname, 'reference_driver.py'), server.baseUrl, doc, String(TURNS + 5)], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmp, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', PEER_CALL_TIMES: times,
        PYTHONPATH: [reference, path.join(__dirname, 'stubs')].join(path.delimiter) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0 || trace.rootArrivals.length < TURNS) throw new Error(`the reference exited ${code} after ${trace.rootArrivals.length}/${TURNS} root calls`);
  } finally {
    await server.close();
  }
  const calls = JSON.parse(readFileSync(times, 'utf8')) as Array<[number, number]>;
  const turn: number[] = [];
  const http: number[] = [];
  const client: number[] = [];
  for (let k = 9; k < TURNS - 1; k++) {
    turn.push(trace.rootArrivals[k + 1]! - trace.rootReplies[k]!);
    http.push((calls[k + 1]![1] - calls[k + 1]![0]) * 1000 - (trace.rootReplies[k + 1]! - trace.rootArrivals[k + 1]!));
    client.push((calls[k + 1]![0] - calls[k]![1]) * 1000);
  }
  return { turn: median(turn), http: median(http), client: median(client) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reference: { type: 'string' }, runs: { type: 'string' } } });
  if (!values.reference) throw new Error('--reference DIR (a checkout of alexzhang13/rlm) is required');
  const reference = path.resolve(values.reference);
  const runs = Number(values.runs ?? 3);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rlm-ref-split-'));
  const lines = [`bench/peer/reference-split.ts: the reference's root turn, turns 10-30 of ${TURNS}, ms (medians per run); ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`, '',
    '| run | turn (server reply -> next request) | HTTP round trip minus server time | client: response read -> next request |', '|---|---|---|---|'];
  try {
    for (let r = 1; r <= runs; r++) {
      const f = await runOnce(reference, tmp);
      lines.push(`| ${r} | ${f.turn.toFixed(2)} | ${f.http.toFixed(2)} | ${f.client.toFixed(2)} |`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
