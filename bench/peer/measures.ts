/**
 * The workloads of `bench/peer.ts`: the same code per turn for both implementations (only the line that
 * ends the run differs: `FINAL(...)` here, `answer["ready"] = True` in the reference), and how each
 * figure is read off the fake server's trace and the process outcome.
 */
import type { PeerScript, PeerTrace } from './fake-openai-server';
import type { RunOutcome } from './procs';

/**
 * Which implementation a run drives: this project, the reference, or `floor` (bench/peer/floor-driver.ts:
 * this project's model adapter and sandbox with nothing in between: a turn with this sandbox before any
 * engine work).
 */
export type Impl = 'ours' | 'reference' | 'floor';

/** One figure of one run (ms or MB), keyed by name. */
export type Figures = Record<string, number>;

/** A workload: its document size, its script, and how to read figures from a run. */
export interface Measure {
  name: string;
  docChars: number;
  script(impl: Impl): PeerScript;
  /** Root requests (0-based) at whose arrival the process tree's CPU time is sampled into `run.cpuAtArrival`. */
  cpuAtArrivals?: number[];
  read(trace: PeerTrace, run: RunOutcome): Figures;
}

const finalCode = (impl: Impl) => (impl !== 'reference' ? 'FINAL("done")' : 'answer["content"] = "done"\nanswer["ready"] = True');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

/** Gaps between the server's reply k and the root request k+1, 0-based by reply. */
function gaps(trace: PeerTrace): number[] {
  return trace.rootReplies.slice(0, -1).map((sent, k) => trace.rootArrivals[k + 1]! - sent);
}

const timed = (body: string) => `import time as _t\n_t0 = _t.time()\n${body}\nprint("PEER_MS=%.1f" % ((_t.time() - _t0) * 1000))`;

/** Every workload, in the order of the table. */
export const MEASURES: Measure[] = [
  {
    name: 'turns',
    docChars: 100_000,
    script: (impl) => ({ code: ['x = len(context)\nprint(x)'], finalCode: finalCode(impl), turns: 31, subDelayMs: 0 }),
    // Requests 10..30 arrive after the replies to 9..29: the CPU between the arrivals of requests 9 and
    // 30 (0-based) is that of the 21 gaps "turns 10-30" measures (the fake server is not in the tree).
    // Turns 3-8 against 25-30 is the growth check (early turns also pay the JIT's warm-up).
    cpuAtArrivals: [2, 8, 9, 24, 30],
    read: (trace, run) => {
      const g = gaps(trace);
      const cpu = run.cpuAtArrival ?? {};
      const perTurn = (from: number, to: number) => (cpu[from] !== undefined && cpu[to] !== undefined ? (cpu[to] - cpu[from]) / (to - from) : NaN);
      return {
        'turn ms (median, turns 10-30)': median(g.slice(9, 30)), 'turn 3 ms': g[2] ?? NaN, 'turn 30 ms': g[29] ?? NaN,
        'turn CPU ms of the process tree (mean, turns 10-30)': perTurn(9, 30),
        'turn CPU ms of the process tree (mean, turns 3-8)': perTurn(2, 8),
        'turn CPU ms of the process tree (mean, turns 25-30)': perTurn(24, 30),
      };
    },
  },
  ...[100_000, 1_000_000, 100_000_000].map((docChars): Measure => ({
    name: `start-${docChars}`,
    docChars,
    script: (impl) => ({ code: ['llm_query("ping")'], finalCode: finalCode(impl), turns: 2, subDelayMs: 0 }),
    read: (trace, run) => ({
      [`start -> first model call ms (${docChars.toLocaleString('en-US')} chars)`]: trace.rootArrivals[0]! - run.startedAt,
      [`start -> first code ran ms (${docChars.toLocaleString('en-US')} chars)`]: (trace.firstSubArrival ?? NaN) - run.startedAt,
    }),
  })),
  {
    name: 'five-turns-16M',
    docChars: 16_000_000,
    script: (impl) => ({ code: ['x = len(context)\nprint(x)'], finalCode: finalCode(impl), turns: 5, subDelayMs: 0 }),
    read: (_trace, run) => ({
      '5 turns on 16M: wall ms': run.exitedAt - run.startedAt,
      '5 turns on 16M: peak RSS largest process MB': run.peakLargestMb,
      '5 turns on 16M: peak RSS process tree MB': run.peakTreeMb,
    }),
  },
  {
    name: 'fan-out',
    docChars: 100_000,
    script: (impl) => ({
      code: [timed('r = llm_query_batched(["p"] * 64)'), timed('for _i in range(64):\n    llm_query("p")')],
      finalCode: finalCode(impl), turns: 3, subDelayMs: 200,
    }),
    read: (trace) => ({ 'llm_query_batched 64 x 200 ms, ms': trace.reported[0] ?? NaN, '64 sequential llm_query x 200 ms, ms': trace.reported[1] ?? NaN }),
  },
  {
    // In-cell Python speed besides regex: a pure-Python loop and a word count over the document, the
    // first reply 1.5 s after the first request (a real root model's latency; the sandbox warms up meanwhile).
    name: 'compute',
    docChars: 1_000_000,
    script: (impl) => ({
      code: [
        timed('s = 0\nfor _i in range(1_000_000):\n    s += _i % 7'),
        timed('counts = {}\nfor w in context.split():\n    counts[w] = counts.get(w, 0) + 1'),
      ],
      // the first cell comes when a real root model would send it, not at once
      finalCode: finalCode(impl), turns: 3, subDelayMs: 0, firstReplyDelayMs: 1500,
    }),
    read: (trace) => ({ 'Python loop of 1M iterations in a cell, ms': trace.reported[0] ?? NaN, 'word count over 1M chars in a cell, ms': trace.reported[1] ?? NaN }),
  },
  {
    name: 'regex-100M',
    docChars: 100_000_000,
    script: (impl) => ({ code: [timed('import re\nn = len(re.findall(r"NEEDLE7\\d*", context))')], finalCode: finalCode(impl), turns: 2, subDelayMs: 0 }),
    read: (trace) => ({ 'regex over 100M chars in a cell, ms': trace.reported[0] ?? NaN }),
  },
];

/** Median of each figure over several runs. */
export function medianFigures(runs: Figures[]): Figures {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]!).filter((v) => Number.isFinite(v)))]));
}
