/**
 * Incremental splitting of a JSON array into the source text of its elements, so the official LongBench v2
 * `data.json` (a single array of ~500 MB) is read element by element instead of as one string.
 */
import { EvalDataError } from './records';

/** One element of the array: its JSON text, its 1-based index, and the line it starts on. */
export interface ArrayElement {
  text: string;
  index: number;
  line: number;
}

type State = 'before-array' | 'before-element' | 'in-element' | 'after-element' | 'done';

/**
 * Feed text chunks with {@link JsonArraySplitter.push}; each call returns the elements completed by that
 * chunk. {@link JsonArraySplitter.end} checks the array was closed. Only the structure is checked here
 * (brackets, commas, strings); each element is parsed by the caller. Errors name the source and line.
 */
export class JsonArraySplitter {
  private state: State = 'before-array';
  private line = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];
  private startLine = 0;
  private count = 0;
  private first = true;

  /** @param source file name for messages. */
  constructor(private readonly source: string) {}

  private fail(what: string): never {
    throw new EvalDataError(`${this.source} line ${this.line}: ${what}`);
  }

  /** Consume a chunk; returns the elements it completed. */
  push(chunk: string): ArrayElement[] {
    const out: ArrayElement[] = [];
    let i = 0;
    if (this.first) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    let elementStart = this.state === 'in-element' ? 0 : -1;
    const n = chunk.length;
    // Next quote / backslash at or after i (n when none), found lazily: strings are most of the bytes.
    let q = -1;
    let b = -1;
    while (i < n) {
      if (this.state === 'in-element' && this.inString) {
        if (this.escaped) { this.escaped = false; i++; continue; }
        if (q < i) { q = chunk.indexOf('"', i); if (q === -1) q = n; }
        if (b < i) { b = chunk.indexOf('\\', i); if (b === -1) b = n; }
        if (b < q) { this.escaped = true; i = b + 1; continue; }
        if (q === n) { i = n; break; }
        this.inString = false;
        i = q + 1;
        continue;
      }
      const c = chunk[i];
      if (c === '\n') this.line++;
      switch (this.state) {
        case 'before-array':
          if (c === '[') this.state = 'before-element';
          else if (!/\s/.test(c)) this.fail(`expected a JSON array starting with "[", found ${JSON.stringify(c)}`);
          break;
        case 'before-element':
        case 'after-element':
          if (/\s/.test(c)) break;
          if (c === ']' && (this.state === 'after-element' || this.count === 0)) { this.state = 'done'; break; }
          if (this.state === 'after-element') {
            if (c === ',') { this.state = 'before-element'; break; }
            this.fail(`expected "," or "]" after record ${this.count}, found ${JSON.stringify(c)}`);
          }
          if (c !== '{') this.fail(`expected a record (a JSON object) as element ${this.count + 1}, found ${JSON.stringify(c)}`);
          this.state = 'in-element';
          this.depth = 1;
          this.startLine = this.line;
          this.parts = [];
          elementStart = i;
          break;
        case 'in-element':
          if (c === '"') this.inString = true;
          else if (c === '{' || c === '[') this.depth++;
          else if (c === '}' || c === ']') {
            this.depth--;
            if (this.depth === 0) {
              this.parts.push(chunk.slice(elementStart, i + 1));
              this.count++;
              out.push({ text: this.parts.join(''), index: this.count, line: this.startLine });
              this.parts = [];
              elementStart = -1;
              this.state = 'after-element';
            }
          }
          break;
        case 'done':
          if (!/\s/.test(c)) this.fail(`unexpected ${JSON.stringify(c)} after the end of the array`);
          break;
      }
      i++;
    }
    if (this.state === 'in-element' && elementStart !== -1) this.parts.push(chunk.slice(elementStart));
    return out;
  }

  /** Call after the last chunk: throws unless the array was closed. Returns the number of elements. */
  end(): number {
    if (this.state === 'before-array') this.fail('the file is empty (expected a JSON array or JSON Lines)');
    if (this.state !== 'done') this.fail(`the JSON array is not closed (truncated file?) after ${this.count} complete record(s)`);
    return this.count;
  }
}
