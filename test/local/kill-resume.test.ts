/**
 * Kill tests (issue 10): `rlm run` as a real process, SIGKILLed at a random moment, then `rlm resume RUN_ID`
 * finishes with the answer of an unkilled run and turn indices 1..n with no gaps or duplicates. Real parts:
 * the CLI, the on-disk store, Pyodide; the LLM is scripted (stateless: it answers by turn number).
 * Rounds: RLM_KILL_ROUNDS (default 2, to fit the suite's time budget; docs/reliability.md has a 20-round run).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const repo = path.join(__dirname, '..', '..');
const tsx = require.resolve('tsx/cli');
const dir = mkdtempSync(path.join(tmpdir(), 'rlm-kill-'));
const ROUNDS = Number(process.env.RLM_KILL_ROUNDS ?? 2);
const doc = path.join(dir, 'doc.txt');
const scriptFile = path.join(dir, 'script.json');

beforeAll(() => {
  writeFileSync(doc, Array.from({ length: 500 }, (_, i) => `line ${i} ${i % 7 === 0 ? 'needle' : 'hay'}`).join('\n'));
  // Each turn recomputes from `context`, so the answer does not depend on variables a lost session took with it.
  const turn = (code: string) => ({ code, latencyMs: 300 });
  writeFileSync(scriptFile, JSON.stringify({
    root: [
      turn("n = context.count('needle')\nprint(n)"), turn("print(len(context))"), turn("print('three')"),
      turn("print('four')"), turn("print('five')"), turn("FINAL('needles: ' + str(context.count('needle')))"),
    ],
  }));
});

interface Proc { code: number | null; signal: NodeJS.Signals | null; out: string; err: string; runId?: string }

/** Run the CLI; with `kill`, SIGKILL it `afterMs` after it printed progress line `afterTurn` (0 = the run ID line). */
function rlm(args: string[], kill?: { afterTurn: number; afterMs: number }): Promise<Proc> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsx, path.join(repo, 'bin', 'rlm.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    const p: Proc = { code: null, signal: null, out: '', err: '' };
    let armed = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.stdout.on('data', (d) => { p.out += String(d); });
    child.stderr.on('data', (d) => {
      p.err += String(d);
      const m = p.err.match(/rlm: run (\S+) \(resume with/);
      if (m && !p.runId) p.runId = m[1];
      const trigger = kill && (kill.afterTurn === 0 ? Boolean(p.runId) : p.err.includes(`turn ${kill.afterTurn}/`));
      if (trigger && !armed) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), kill!.afterMs);
      }
    });
    child.on('exit', (code, signal) => { clearTimeout(guard); Object.assign(p, { code, signal }); resolve(p); });
  });
}

const runArgs = (stateDir: string, quiet = true) => ['run', '--llm', `scripted:${scriptFile}`, '--document', doc, '--question', 'How many needles?', '--state-dir', stateDir, '--output', 'json', ...(quiet ? ['--quiet'] : [])];

let expected: { answer: string; iterations: number };

test('the unkilled run', async () => {
  const p = await rlm(runArgs(path.join(dir, 'clean')));
  expect(p.code).toBe(0);
  const s = JSON.parse(p.out);
  expect(s).toMatchObject({ status: 'succeeded', answer: 'needles: 72', iterations: 6 });
  expected = { answer: s.answer, iterations: s.iterations };
}, 300_000);

test.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))('kill round %d: SIGKILL at a random moment, then rlm resume finishes the run', async (round) => {
  const stateDir = path.join(dir, `round-${round}`);
  // A random moment: after a random progress line (the run ID, or turn k's), plus up to 1.5 s.
  const kill = { afterTurn: Math.floor(Math.random() * 6), afterMs: Math.floor(Math.random() * 1_500) };
  const killed = await rlm(runArgs(stateDir, false), kill);
  expect(killed.runId).toBeDefined();
  const turnsDir = path.join(stateDir, 'runs', killed.runId!, 'turns');
  const recordedAtKill = (() => { try { return readdirSync(turnsDir).length; } catch { return 0; } })();
  const resumed = await rlm(['resume', killed.runId!, '--state-dir', stateDir, '--output', 'json', '--quiet']);
  expect({ code: resumed.code, err: resumed.err }).toMatchObject({ code: 0 });
  const s = JSON.parse(resumed.out);
  expect(s).toMatchObject({ runId: killed.runId, status: 'succeeded', answer: expected.answer, iterations: expected.iterations });
  const turnFiles = readdirSync(path.join(stateDir, 'runs', killed.runId!, 'turns')).sort();
  const indexes = turnFiles.map((f) => JSON.parse(readFileSync(path.join(stateDir, 'runs', killed.runId!, 'turns', f), 'utf8')).index);
  expect(indexes).toEqual(Array.from({ length: expected.iterations }, (_, i) => i + 1));
  process.stdout.write(`kill round ${round}: ${killed.signal ? `killed ${kill.afterMs} ms after ${kill.afterTurn ? `turn ${kill.afterTurn}` : 'the run ID'}, ${recordedAtKill} turns recorded` : 'the run had finished before the kill'}\n`);
}, 600_000);
