/**
 * Process helpers for `bench/peer.ts`: spawn one implementation's run and sample the resident memory
 * of its whole process tree from /proc while it runs (Linux only).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (µs) of another process from /proc (0 when unknown, e.g. no such process). */
export function processCpuUs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
  } catch {
    return 0;
  }
}

/** Thread IDs of process `pid` (empty when it is gone). */
export function threadIdsOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
}

/** What one spawned run did. */
export interface RunOutcome {
  startedAt: number;
  exitedAt: number;
  exitCode: number | null;
  /** Peak RSS (MB) of the largest single process of the tree. */
  peakLargestMb: number;
  /** Peak RSS (MB) of the whole tree at one sampling instant. */
  peakTreeMb: number;
  stdout: string;
  stderr: string;
  /** Process-tree CPU ms ({@link treeCpuMs}) when root request k arrived, for the k a measure asked for. */
  cpuAtArrival?: Record<number, number>;
}

const now = () => performance.timeOrigin + performance.now();

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** PIDs of `root` and all its descendants (one /proc scan). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      /* the process ended during the scan */
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU time (ms) spent so far by every thread of `root`'s process tree: the first field of each
 * `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on a CPU). Unlike wall-clock gaps it does not count
 * time spent waiting for a core, so it stays meaningful on a loaded machine. Threads that already ended
 * are not counted (the processes measured keep theirs for the whole run).
 */
export function treeCpuMs(root: number): number {
  let ns = 0;
  for (const pid of processTree(root)) {
    for (const tid of threadIdsOf(pid)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* the thread ended */
      }
    }
  }
  return ns / 1e6;
}

/** Spawn `cmd args` and resolve when it exits, sampling the tree's RSS every `sampleMs`; `onSpawn` gets the PID. */
export function runSampled(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, sampleMs = 50, onSpawn?: (pid: number) => void): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const startedAt = now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-8000)));
    let peakLargestMb = 0;
    let peakTreeMb = 0;
    const sample = () => {
      if (child.pid === undefined) return;
      const rss = processTree(child.pid).map(rssKb);
      peakLargestMb = Math.max(peakLargestMb, Math.max(0, ...rss) / 1024);
      peakTreeMb = Math.max(peakTreeMb, rss.reduce((a, b) => a + b, 0) / 1024);
    };
    const timer = setInterval(sample, sampleMs);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearInterval(timer);
      clearTimeout(killer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      clearTimeout(killer);
      resolve({ startedAt, exitedAt: now(), exitCode: code, peakLargestMb, peakTreeMb, stdout, stderr });
    });
  });
}
