/** Runs `rlm` in-process for tests: `main(args)` with stdout/stderr captured. */
import { main } from '../../bin/rlm';

/** What one in-process `rlm` invocation returned and printed. */
export interface CliOutcome {
  code: number;
  out: string;
  err: string;
}

/** Run `rlm ...args` in this process, capturing what it writes to stdout and stderr. */
export async function runCliInProcess(args: string[]): Promise<CliOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
  try {
    const code = await main(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
