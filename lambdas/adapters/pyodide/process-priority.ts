/**
 * The sandbox process runs at a lower CPU priority than the CLI that drives it: {@link SANDBOX_NICE_STEPS}
 * nice steps below the CLI's own (at most 19). When both want a core, the CLI's event loop (cell
 * timeouts, sub-call answers, Ctrl-C, the next root call) goes first: a cell that spins cannot starve it,
 * and V8 compiling CPython's WebAssembly up in the sandbox's background thread during the first turns
 * does not delay the orchestration of those turns (`bench/peer.ts --only turns`, docs/performance.md).
 * The sandbox's cells are not slowed unless the machine is busy (nice only weighs runnable threads).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/** How many nice steps below the CLI the sandbox process runs. */
export const SANDBOX_NICE_STEPS = 5;

/** Linux nice values run from -20 (first) to 19 (last). */
const LOWEST_PRIORITY = 19;

/** The thread IDs of `pid` (Linux: `/proc/<pid>/task`), or `[pid]` where threads cannot be listed. */
function threadIds(pid: number): number[] {
  if (process.platform !== 'linux') return [pid];
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [pid];
  }
}

/**
 * Lower the CPU priority of process `pid` to {@link SANDBOX_NICE_STEPS} below this process's, on Linux
 * thread by thread (a nice value belongs to a thread there, and threads created later inherit it from
 * their creator). Best effort: a thread that is gone or cannot be changed is left as it is. Returns the
 * nice value aimed at, or undefined when there was nothing to do.
 */
export function lowerSandboxPriority(pid: number | undefined, steps = SANDBOX_NICE_STEPS): number | undefined {
  if (!pid) return undefined;
  let target: number;
  try {
    target = Math.min(LOWEST_PRIORITY, os.getPriority() + steps);
  } catch {
    return undefined;
  }
  for (const id of threadIds(pid)) {
    try {
      if (os.getPriority(id) < target) os.setPriority(id, target);
    } catch {
      // the thread ended, or the platform refuses: the sandbox still works, at the CLI's priority
    }
  }
  return target;
}
