/**
 * One run's items as one append-only file, `<runDir>/items.jsonl`: every write of the on-disk store
 * (a run item version, a turn, a step) is one `write()` of one line to the end of it (`O_APPEND`).
 *
 * Why one file: a file per item allocated an inode per write (six per root turn, a directory for each
 * turn's steps included), and on ext4 allocating an inode scans past every recently deleted one of its
 * group (`find_inode_bit` / `recently_deleted`): a third of the CLI's CPU per turn on a busy machine.
 * Appending to an open file allocates nothing and costs one `write` and one `fstat`.
 *
 * Conditional writes, "first wins": an entry's key is the run item's version, a turn's index, or a
 * step's (turn, seq). Entries are applied in file order and the first entry of a key is the item; a
 * later entry of the same key (another process lost the race) is ignored, so "only if absent" and the
 * run item's compare-and-swap (version N+1 written once) hold across processes. A writer knows it won
 * when, reading back what was appended after its previous read, its own entry (tagged with a
 * process-unique writer tag) was the one applied; when nothing else was appended (the file grew by
 * exactly its line) it needs no read at all.
 *
 * Kills: an entry is written whole by one `write()` into the page cache, so a killed process leaves every
 * completed write on disk (never `fsync`ed: an OS crash may lose the last writes; docs/reliability.md).
 * A write cut short (SIGKILL in the middle of a large write) leaves a prefix of one line: every line is
 * written as `\n<json>\n`, so the fragment stays a line of its own, which is not valid JSON (a prefix of
 * an object never is) and is skipped, and the next entry starts on a line of its own. A reader leaves an
 * unterminated last line for its next read (it may be a write in progress).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRecord, TurnRecord, TurnStepRecord } from '../../core/types';
import { closeQuietly } from './item-files';

/** The journal's file name inside a run's directory. */
export const JOURNAL_FILE = 'items.jsonl';

/** The items one journal holds, as applied (first entry of each key). */
export interface JournalItems {
  run?: { version: number; value: RunRecord };
  turns: TurnRecord[];
  steps: TurnStepRecord[];
}

/** One entry (one line) of the journal. */
type Entry =
  | { k: 'run'; w: string; v: number; item: RunRecord }
  | { k: 'turn'; w: string; item: TurnRecord }
  | { k: 'step'; w: string; item: TurnStepRecord };

/** What a writer appends: an entry without its writer tag. */
export type NewEntry = { k: 'run'; v: number; item: RunRecord } | { k: 'turn'; item: TurnRecord } | { k: 'step'; item: TurnStepRecord };

/** Unique to this process (a reused PID gets another suffix); each entry adds a counter. */
const WRITER = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
let written = 0;

const NEWLINE = 0x0a;
const isCode = (err: unknown, ...codes: string[]) => codes.includes((err as NodeJS.ErrnoException | null)?.code ?? '');

/** Parse one line; undefined for an empty line, a fragment of a cut-short write, or anything not an entry. */
function parseLine(line: string): Entry | undefined {
  if (line.length < 2) return undefined;
  try {
    const e = JSON.parse(line) as Entry;
    return e && typeof e === 'object' && typeof e.k === 'string' && e.item && typeof e.item === 'object' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** The line of an entry, built around the item's own JSON (also what the cache parses back). */
function lineOf(entry: NewEntry, w: string, itemJson: string): string {
  const v = entry.k === 'run' ? `,"v":${entry.v}` : '';
  return `\n{"k":"${entry.k}","w":"${w}"${v},"item":${itemJson}}\n`;
}

/** An open journal of one run and the items read from it so far. */
export class RunJournal {
  run?: { version: number; value: RunRecord };
  private readonly turns = new Map<number, TurnRecord>();
  private readonly steps = new Map<number, Map<number, TurnStepRecord>>();
  /** Offset after the last complete line read. */
  private end = 0;
  /** True once the file was removed behind this process's back (the state dir deleted). */
  gone = false;

  private constructor(readonly file: string, private fd: number | undefined, private writable: boolean) {}

  /** Open the journal `file` and read it, or undefined when it does not exist. */
  static open(file: string): RunJournal | undefined {
    let fd: number;
    let writable = true;
    try {
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_APPEND);
    } catch (err) {
      if (isCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
      if (!isCode(err, 'EACCES', 'EPERM', 'EROFS')) throw err;
      fd = fs.openSync(file, 'r'); // a state dir this user may only read (rlm view)
      writable = false;
    }
    const journal = new RunJournal(file, fd, writable);
    journal.refresh();
    return journal;
  }

  /** Open `file`, creating it (and its directory) when absent. */
  static create(file: string): RunJournal {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644);
    const journal = new RunJournal(file, fd, true);
    journal.refresh();
    return journal;
  }

  /** A journal that is no file (items of an older layout, read only); {@link append} is refused. */
  static inMemory(file: string, items: JournalItems): RunJournal {
    const journal = new RunJournal(file, undefined, false);
    if (items.run) journal.run = items.run;
    for (const t of items.turns) journal.apply({ k: 'turn', w: '', item: t });
    for (const s of items.steps) journal.apply({ k: 'step', w: '', item: s });
    return journal;
  }

  /** The lines that, as a new journal, hold `items` (the import of an older layout). */
  static linesOf(items: JournalItems): string {
    const entries: NewEntry[] = [
      ...(items.run ? [{ k: 'run' as const, v: items.run.version, item: items.run.value }] : []),
      ...items.turns.map((item) => ({ k: 'turn' as const, item })),
      ...items.steps.map((item) => ({ k: 'step' as const, item })),
    ];
    return entries.map((e) => lineOf(e, `${WRITER}.${++written}`, JSON.stringify(e.item))).join('');
  }

  /** True for the items of an older layout held in memory only (no file yet). */
  get readOnlyImport(): boolean {
    return this.fd === undefined && !this.gone;
  }

  /** Turns in index order. */
  listTurns(): TurnRecord[] {
    return [...this.turns.values()].sort((a, b) => a.index - b.index);
  }

  /** True when turn `index` is recorded. */
  hasTurn(index: number): boolean {
    return this.turns.has(index);
  }

  /** Steps of `turn` in seq order. */
  listSteps(turn: number): TurnStepRecord[] {
    return [...(this.steps.get(turn)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  /** True when step `seq` of `turn` is recorded. */
  hasStep(turn: number, seq: number): boolean {
    return this.steps.get(turn)?.has(seq) ?? false;
  }

  /** Apply one entry, first wins; true when it became the item of its key. */
  private apply(e: Entry): boolean {
    if (e.k === 'run') {
      if (this.run && e.v <= this.run.version) return false;
      this.run = { version: e.v, value: e.item };
      return true;
    }
    if (e.k === 'turn') {
      if (this.turns.has(e.item.index)) return false;
      this.turns.set(e.item.index, e.item);
      return true;
    }
    let ofTurn = this.steps.get(e.item.turn);
    if (!ofTurn) this.steps.set(e.item.turn, (ofTurn = new Map()));
    if (ofTurn.has(e.item.seq)) return false;
    ofTurn.set(e.item.seq, e.item);
    return true;
  }

  /**
   * Read and apply what was appended since the last read (by this or another process). Returns true when
   * an entry tagged `mine` was read and applied. A removed file marks the journal {@link gone}.
   */
  refresh(mine?: string): boolean {
    if (this.fd === undefined) return false;
    const st = fs.fstatSync(this.fd);
    if (st.nlink === 0) {
      this.gone = true;
      this.close();
      return false;
    }
    if (st.size <= this.end) return false;
    const buf = Buffer.allocUnsafe(st.size - this.end);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(this.fd, buf, got, buf.length - got, this.end + got);
      if (n === 0) break;
      got += n;
    }
    const last = buf.lastIndexOf(NEWLINE, got - 1);
    if (last < 0) return false;
    this.end += last + 1;
    let won = false;
    for (const line of buf.toString('utf8', 0, last).split('\n')) {
      const e = parseLine(line);
      if (e && this.apply(e) && mine !== undefined && e.w === mine) won = true;
    }
    return won;
  }

  /**
   * Append one entry; true when it became the item of its key (false: another writer's entry for the key
   * came first). The caller checked the key was absent after its last read, in the same synchronous step.
   */
  append(entry: NewEntry): boolean {
    if (this.fd === undefined || !this.writable) throw new Error(`the run journal ${this.file} cannot be written (read-only)`);
    const w = `${WRITER}.${++written}`;
    const itemJson = JSON.stringify(entry.item);
    const line = Buffer.from(lineOf(entry, w, itemJson), 'utf8');
    const before = this.end;
    const n = fs.writeSync(this.fd, line);
    if (n !== line.length) throw new Error(`short write to ${this.file} (${n} of ${line.length} bytes)`);
    const size = fs.fstatSync(this.fd).size;
    if (size === before + line.length) {
      // Nothing else was appended since the last read: this entry is the next line, no read back needed.
      this.end = size;
      return this.apply({ ...entry, w, item: JSON.parse(itemJson) } as Entry);
    }
    return this.refresh(w);
  }

  /** Close the file (the journal is dropped from the cache). */
  close(): void {
    this.fd = closeQuietly(this.fd);
  }
}

/** The run item in journal `file` without keeping the journal (listing runs): only run entries are parsed. */
export function readJournalRun(file: string): { version: number; value: RunRecord } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
  let run: { version: number; value: RunRecord } | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"k":"run"')) continue;
    const e = parseLine(line);
    if (e?.k === 'run' && (!run || e.v > run.version)) run = { version: e.v, value: e.item };
  }
  return run;
}
