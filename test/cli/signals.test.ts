/**
 * SIGTERM and SIGINT to a real `rlm run` (node bin/rlm-launcher.mjs, one process) while a cell waits on
 * a sub-call that a loopback OpenAI-compatible server never answers: the process exits within seconds
 * with 143/130, the hanging HTTP request is aborted, no descendant process survives (checked by /proc
 * PPID walk), and the state dir holds the run as `cancelled` with its recorded turns.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { descendants, stillRunning } from './process-tree';

const repo = path.join(__dirname, '..', '..');
const launcher = path.join(repo, 'bin', 'rlm-launcher.mjs');

/** Root turn 1 prints; root turn 2 calls llm_query, which the server never answers. */
function slowServer() {
  const state = { rootCalls: 0, subCalls: 0, hanging: 0, aborted: 0 };
  let onHang: () => void = () => undefined;
  const hung = new Promise<void>((resolve) => { onHang = resolve; });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as { tools?: unknown[] };
      if (!body.tools) {
        state.subCalls++;
        state.hanging++;
        res.on('close', () => { state.hanging--; state.aborted++; });
        onHang();
        return; // never answered
      }
      state.rootCalls++;
      const code = state.rootCalls === 1 ? 'print("turn one ran")' : 'answer = llm_query("hang please")\nprint(answer)';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        choices: [{ message: { role: 'assistant', content: null, tool_calls: [{ id: `c${state.rootCalls}`, type: 'function', function: { name: 'execute_python', arguments: JSON.stringify({ code }) } }] }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 10, completion_tokens: 5 },
      }));
    });
  });
  return { server, state, hung };
}

async function cancelledRun(sig: 'SIGTERM' | 'SIGINT', expectedCode: number): Promise<void> {
  const { server, state, hung } = slowServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(path.join(tmpdir(), `rlm-signal-${sig}-`));
  const doc = path.join(dir, 'doc.txt');
  writeFileSync(doc, 'some text to read\n');
  const stateDir = path.join(dir, 'state');
  const child = spawn(process.execPath, [launcher, 'run', '--llm', `openai:http://127.0.0.1:${port}/v1`, '--document', doc,
    '--question', 'q', '--state-dir', stateDir, '--output', 'json'], {
    cwd: repo, env: { ...process.env, RLM_OPENAI_MODEL: 'm' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    await Promise.race([hung, exited.then(() => { throw new Error(`rlm exited before the sub-call hung:\n${stderr}`); })]);
    const tree = descendants(child.pid as number);
    const t0 = Date.now();
    child.kill(sig);
    const { code, signal } = await exited;
    const exitMs = Date.now() - t0;
    process.stderr.write(`${sig}: exit ${code} after ${exitMs} ms; ${tree.length} descendant(s) before the signal\n`);
    expect({ code, signal }).toEqual({ code: expectedCode, signal: null });
    expect(exitMs).toBeLessThan(10_000);
    expect(tree.filter(stillRunning)).toEqual([]);
    expect(descendants(child.pid as number)).toEqual([]);
    // The in-flight sub-call was aborted (its socket closed), not left hanging.
    await new Promise((r) => setTimeout(r, 200));
    expect(state).toMatchObject({ rootCalls: 2, subCalls: 1, hanging: 0, aborted: 1 });

    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', stopDetail: `cancelled by ${sig}` });
    expect(stderr).toContain(`${sig}: cancelling the run`);
    const runDir = path.join(stateDir, 'results', summary.runId);
    expect(readdirSync(runDir).sort()).toEqual(['result.json', 'trajectory.json']);
    const trajectory = JSON.parse(readFileSync(path.join(runDir, 'trajectory.json'), 'utf8'));
    expect(trajectory.run.status).toBe('cancelled');
    expect(trajectory.turns.length).toBeGreaterThanOrEqual(1);
    expect(trajectory.turns[0].cells[0].fullOutput).toContain('turn one ran');
    expect(JSON.parse(readFileSync(path.join(runDir, 'result.json'), 'utf8'))).toMatchObject({ status: 'cancelled', question: 'q' });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('SIGTERM cancels a running rlm run: exit 143 within seconds, no process left, run recorded cancelled', async () => {
  await cancelledRun('SIGTERM', 143);
}, 120_000);

test('SIGINT (Ctrl-C) cancels a running rlm run: exit 130 within seconds, no process left, run recorded cancelled', async () => {
  await cancelledRun('SIGINT', 130);
}, 120_000);
