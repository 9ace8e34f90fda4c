/** Linux process-tree helpers for the signal tests: descendants by PPID walk over /proc, and liveness. */
import { readdirSync, readFileSync } from 'node:fs';

/** `{pid, ppid, state, start}` of a process from /proc/PID/stat, or undefined when it is gone. */
export function procStat(pid: number): { pid: number; ppid: number; state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0], ppid: Number(rest[1]), start: rest[19] };
}

/** Every live process below `root` (children, grandchildren...), with its start time to tell PID reuse apart. */
export function descendants(root: number): Array<{ pid: number; start: string }> {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => procStat(Number(d))).filter((p) => p !== undefined);
  const found: Array<{ pid: number; start: string }> = [];
  const frontier = [root];
  while (frontier.length) {
    const parent = frontier.pop() as number;
    for (const p of all) {
      if (p.ppid === parent) {
        found.push({ pid: p.pid, start: p.start });
        frontier.push(p.pid);
      }
    }
  }
  return found;
}

/** True while the process (the same one: same start time) exists and is not a zombie. */
export function stillRunning(p: { pid: number; start: string }): boolean {
  const now = procStat(p.pid);
  return now !== undefined && now.start === p.start && now.state !== 'Z';
}
