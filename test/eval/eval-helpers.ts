/** Small LongBench-shaped records and temp files for the evaluation tests (no real data needed). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LongBenchRecord } from '../../lambdas/core/eval';

/** A fresh temporary directory. */
export function tempDir(prefix = 'rlm-eval-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A record whose context plants one fact among filler lines: "The vault code of <name> is <code>." The
 * choices are four codes; the gold answer is the planted one.
 */
export function plantedRecord(i: number, over: Partial<LongBenchRecord> = {}): LongBenchRecord {
  const codes = ['RED-11', 'BLUE-22', 'GREEN-33', 'GOLD-44'];
  const letters = ['A', 'B', 'C', 'D'] as const;
  const gold = letters[(i + 1) % 4];
  const filler = Array.from({ length: 30 }, (_, k) => `Line ${k}: nothing to see in section ${i}.`);
  filler.splice(17, 0, `The vault code of project-${i} is ${codes[letters.indexOf(gold)]}.`);
  return {
    _id: `rec-${i}`, domain: i % 2 ? 'Code Repository Understanding' : 'Multi-Document QA',
    sub_domain: i % 2 ? 'Code repo QA' : 'Financial', difficulty: i % 2 ? 'hard' : 'easy',
    length: (['short', 'medium', 'long'] as const)[i % 3],
    question: `What is the vault code of project-${i}?`,
    choice_A: codes[0], choice_B: codes[1], choice_C: codes[2], choice_D: codes[3], answer: gold,
    context: filler.join('\n'),
    ...over,
  };
}

/** Write records as JSON Lines (or as one JSON array with `array: true`); returns the path. */
export function writeData(dir: string, records: unknown[], opts: { array?: boolean; name?: string } = {}): string {
  const file = path.join(dir, opts.name ?? (opts.array ? 'data.json' : 'data.jsonl'));
  writeFileSync(file, opts.array ? JSON.stringify(records, null, 1) : records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

/** Write a scripted-model file; returns the path. */
export function writeScript(dir: string, script: unknown, name = 'script.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(script));
  return file;
}

/** Collects CLI output. */
export function captureIO(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, out, err };
}
