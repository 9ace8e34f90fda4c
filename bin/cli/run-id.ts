/** Run IDs made on the user's machine (local runs and `rlm submit`). */
import { randomBytes } from 'node:crypto';

/** A fresh run ID: sortable by time, unique enough for one machine, a valid execution name. */
export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}
