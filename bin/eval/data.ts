/**
 * Reading LongBench v2 data: the official `data.json` (one JSON array) or JSON Lines with the same fields,
 * detected from the first character, streamed so a 500 MB file is never one string, and validated record
 * by record (errors name the file, the line, and the field).
 */
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import {
  DuplicateIdCheck, EvalDataError, inSubset, JsonArraySplitter, validateRecord,
  type EvalSubset, type LongBenchRecord,
} from '../../lambdas/core/eval';

/** How the file was written. */
export type DataFormat = 'json-array' | 'jsonl';

/** Options of {@link readLongBench}. */
export interface ReadOptions {
  subset: EvalSubset;
  /** Keep only the first N selected records (file order). */
  limit?: number;
  /** Records whose context is not needed (already finished): returned with `context: ''` to save memory. */
  dropContext?: (id: string) => boolean;
}

/** What {@link readLongBench} found. */
export interface LongBenchData {
  format: DataFormat;
  /** Records in the file (all valid). */
  total: number;
  /** The selected records, in file order. */
  records: LongBenchRecord[];
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EvalDataError(`${where}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/**
 * Read, validate and select records. Every record in the file is validated (a bad one anywhere stops
 * the run before any money is spent); only selected ones are kept. Throws {@link EvalDataError}.
 */
export async function readLongBench(file: string, opts: ReadOptions): Promise<LongBenchData> {
  const source = path.basename(file);
  const records: LongBenchRecord[] = [];
  const ids = new DuplicateIdCheck();
  let total = 0;
  const accept = (value: unknown, where: string) => {
    const record = validateRecord(value, where);
    ids.check(record._id, where);
    total++;
    if (!inSubset(record, opts.subset)) return;
    if (opts.limit !== undefined && records.length >= opts.limit) return;
    records.push(opts.dropContext?.(record._id) ? { ...record, context: '' } : record);
  };

  let format: DataFormat | undefined;
  let splitter: JsonArraySplitter | undefined;
  let pending = '';
  let lineNo = 0;
  const jsonlLine = (line: string) => {
    lineNo++;
    if (!line.trim()) return;
    const where = `${source} line ${lineNo}`;
    accept(parseJson(line, where), where);
  };

  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = chunk;
      if (format === undefined) {
        const first = (pending + text).replace(/^\uFEFF/, '').trimStart()[0];
        if (first === undefined) { pending += text; continue; }
        if (first === '[') format = 'json-array';
        else if (first === '{') format = 'jsonl';
        else throw new EvalDataError(`${source}: expected the official data.json (a JSON array) or JSON Lines (one object per line), but the file starts with ${JSON.stringify(first)}`);
        text = pending + text;
        pending = '';
        if (format === 'json-array') splitter = new JsonArraySplitter(source);
      }
      if (splitter) {
        for (const el of splitter.push(text)) {
          const where = `${source} record ${el.index} (line ${el.line})`;
          accept(parseJson(el.text, where), where);
        }
      } else {
        const lines = (pending + text).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) jsonlLine(lineNo === 0 ? line.replace(/^\uFEFF/, '') : line);
      }
    }
  } catch (err) {
    if (err instanceof EvalDataError) throw err;
    throw new EvalDataError(`cannot read data file ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    stream.destroy();
  }
  if (format === undefined) throw new EvalDataError(`${source}: the file is empty (expected a JSON array or JSON Lines)`);
  if (splitter) splitter.end();
  else if (pending) jsonlLine(lineNo === 0 ? pending.replace(/^\uFEFF/, '') : pending);
  if (total === 0) throw new EvalDataError(`${source}: no records`);
  return { format, total, records };
}
