/** Test helper: whether process `pid` still exists (signal 0 is delivered to nothing, it only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
