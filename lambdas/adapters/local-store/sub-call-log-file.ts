/**
 * The local store's synchronous sub-call log (`ConversationStore.openSubCallLog`): one JSON line per event,
 * appended with one `write()` to a file kept open for the cell (`O_APPEND`). When `append` returns, the kernel
 * holds the line: it survives SIGKILL, an out-of-memory kill or Ctrl-C of the process (not an operating-system
 * crash: never `fsync`ed, like every item of this store). A line cut short by a kill in the middle of its
 * write (or by a full disk) has no newline and is dropped by the reader, and the writer is not used again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConversationStoreUnavailableError, describeError } from '../../core/errors';
import type { SubCallLogWriter } from '../../core/ports';
import type { SubCallEvent } from '../../core/types';
import { closeQuietly } from './item-files';

/** File name of a turn's sub-call log, in the turn's steps folder (not an item: items end in `.json`). */
export const SUB_CALL_LOG_FILE = 'sub-calls.jsonl';

/** An open sub-call log file. */
export class SubCallLogFile implements SubCallLogWriter {
  private fd: number | undefined;

  constructor(readonly file: string) {}

  /** @inheritdoc */
  append(event: SubCallEvent): void {
    // '\n' before and after: a line torn by a kill never runs into the next writer's line (a resumed run).
    const line = '\n' + JSON.stringify(event) + '\n';
    try {
      this.fd ??= openAppend(this.file);
      // One write(); a short write (a full disk) is finished from a buffer, or fails below.
      const written = fs.writeSync(this.fd, line);
      if (written !== Buffer.byteLength(line)) finish(this.fd, line, written);
    } catch (err) {
      this.close();
      const { message } = describeError(err);
      throw new ConversationStoreUnavailableError(`could not append to the sub-call log ${this.file}: ${message}`, { cause: err });
    }
  }

  /** @inheritdoc */
  close(): void {
    this.fd = closeQuietly(this.fd);
  }
}

/** Write what a short write left of `line` (`written` bytes of it are in the file). */
function finish(fd: number, line: string, written: number): void {
  const bytes = Buffer.from(line);
  let done = written;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done);
    if (n <= 0) throw new Error(`short write to the sub-call log (${done} of ${bytes.length} bytes)`);
    done += n;
  }
}

function openAppend(file: string): number {
  try {
    return fs.openSync(file, 'a');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return fs.openSync(file, 'a');
  }
}

/** The events of a sub-call log, in order; lines without their newline or not JSON are dropped. */
export function readSubCallLog(file: string): SubCallEvent[] {
  // Most turns make no sub-call, so the log usually does not exist: ask first, without the cost of an
  // ENOENT error object per turn (it may still vanish in between: handled below).
  if (!fs.existsSync(file)) return [];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a line torn by a kill
  const events: SubCallEvent[] = [];
  for (const line of lines) {
    if (line === '') continue;
    try {
      events.push(JSON.parse(line) as SubCallEvent);
    } catch {
      // a torn line followed by later writes of another process: not an event
    }
  }
  return events;
}
