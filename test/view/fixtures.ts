/**
 * Runs for the viewer tests: real local runs through the CLI (scripted model, real Pyodide, the real
 * state machine), and a generated big trajectory (200 turns, 10,000 sub-calls with full prompts drawn
 * from real document lines) written the way FinalizeRun writes its artifacts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseRunArgs, runCommand } from '../../bin/commands/run';
import type { RunRecord, RunSummary, SubCallRecord, TurnRecord } from '../../lambdas/core/types';
import { zeroTotals } from '../../lambdas/core/accounting';
import { truncateMiddle } from '../../lambdas/core/truncate';

/** Run `rlm run` with a scripted model; returns the summary and every stderr line. */
export async function runScripted(dir: string, name: string, script: object, question: string, docs: string): Promise<{ summary: RunSummary; stderr: string[] }> {
  const scriptFile = path.join(dir, `${name}.script.json`);
  writeFileSync(scriptFile, JSON.stringify(script));
  const stderr: string[] = [];
  const out = await runCommand(parseRunArgs(['--llm', `scripted:${scriptFile}`, '--document', docs, '--question', question, '--state-dir', path.join(dir, 'state'), '--output', 'json']), { stdout: () => {}, stderr: (l) => stderr.push(l) });
  return { summary: out.summary, stderr };
}

/** Two small text documents with distinctive lines. */
export function writeDocs(dir: string): string {
  const docs = path.join(dir, 'docs');
  mkdirSync(docs, { recursive: true });
  for (const name of ['alpha.txt', 'beta.txt']) {
    const lines = Array.from({ length: 400 }, (_, i) => `${name} line ${String(i).padStart(4, '0')}: ${i % 7 === 0 ? 'ERROR disk quota exceeded on volume ' + (i % 5) : 'ok request served in ' + (i * 13) % 997 + ' ms'}`);
    writeFileSync(path.join(docs, name), lines.join('\n') + '\n');
  }
  return docs;
}

/** A script whose run ends with FINAL after a failed cell and one batch of sub-calls. */
export const GOOD_SCRIPT = {
  root: [
    { text: 'Look around first.', code: 'print(len(documents), "documents")\nprint(undefined_name)' },
    { text: 'Ask about the errors of each document, in one batch.', code: "prompts = ['Summarise these errors:\\n' + '\\n'.join(l for l in t.splitlines() if 'ERROR' in l) for t in documents.values()]\nreplies = llm_query_batched(prompts)\nprint(replies)" },
    { code: 'FINAL("disk quota errors on volumes 0-4, " + str(len(replies)) + " documents")' },
  ],
  sub: { rules: [{ match: 'Summarise', reply: 'The errors are disk quota exceeded.' }] },
};

/** A script that runs out after two turns: the run fails (ScriptExhaustedError) and keeps its transcript. */
export const FAILING_SCRIPT = {
  root: [
    { text: 'Count lines.', code: 'n = sum(t.count("\\n") for t in documents.values())\nprint(n)' },
    { text: 'Now something breaks.', code: 'raise KeyError("volume")' },
  ],
};

/** Write a generated run of `turns` turns with `perTurn` sub-calls each (one batch per turn), full texts recorded. */
export function writeBigRun(stateDir: string, docsDir: string, opts: { turns: number; perTurn: number; runId?: string }): string {
  const runId = opts.runId ?? 'run-big-200x50';
  const docText = ['alpha.txt', 'beta.txt'].map((n) => readFileSync(path.join(docsDir, n), 'utf8'));
  const documents = ['alpha.txt', 'beta.txt'].map((n, i) => ({ name: n, uri: pathToFileURL(path.join(docsDir, n)).href, chars: docText[i].length }));
  const t0 = Date.parse('2026-12-01T10:00:00.000Z');
  const config = { rootModelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', subModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', maxIterations: opts.turns, maxOutputChars: 20000, cellTimeoutMs: 300000, subConcurrency: 16, rootMaxOutputTokens: 16000, maxConsecutiveErrors: 8 };
  const turns: TurnRecord[] = [];
  for (let t = 1; t <= opts.turns; t++) {
    const records: SubCallRecord[] = [];
    for (let k = 0; k < opts.perTurn; k++) {
      const doc = (t + k) % 2, lines = docText[doc].split('\n');
      const from = ((t * 37 + k * 11) % 360);
      const prompt = `Turn ${t} call ${k}: what happened here?\n` + lines.slice(from, from + 30).join('\n');
      const response = `Reply ${t}/${k}: ` + 'nothing unusual, requests were served. '.repeat(8);
      records.push({ model: config.subModelId, promptChars: prompt.length, responseChars: response.length, promptPreview: prompt.slice(0, 200), responsePreview: response.slice(0, 200), prompt, response, inputTokens: Math.ceil(prompt.length / 4), outputTokens: Math.ceil(response.length / 4), durationMs: 200 + ((t * k) % 900), batch: { id: 1, index: k, size: opts.perTurn } });
    }
    const last = t === opts.turns;
    const output = `turn ${t}: ${records.length} replies\n` + 'x'.repeat(t % 10 === 0 ? 30000 : 200);
    turns.push({
      runId, index: t, kind: 'code', startedAt: new Date(t0 + t * 10000).toISOString(), endedAt: new Date(t0 + t * 10000 + 4000).toISOString(),
      replyText: `Turn ${t}: I will batch ${opts.perTurn} chunks.`, rootModelId: config.rootModelId, rootLatencyMs: 2500,
      rootUsage: { inputTokens: 2000 + t * 50, outputTokens: 300 },
      cells: [{
        toolUseId: `tu-${t}`, code: `replies = llm_query_batched(chunks[${t}])\nprint(len(replies))` + (last ? '\nFINAL("big answer")' : ''),
        modelOutput: truncateMiddle(output, 20000) + `\n[turn ${t} of ${opts.turns}]`, fullOutput: output,
        result: { timedOut: false, raised: false, durationMs: 3000, sub: { calls: records.length, errors: 0, inputTokens: records.reduce((n, r) => n + r.inputTokens, 0), outputTokens: records.reduce((n, r) => n + r.outputTokens, 0), records }, ...(last ? { final: { value: 'big answer' } } : {}) },
      }],
      ...(last ? { outcome: { stopReason: 'final', answer: 'big answer' } } : {}),
    });
  }
  const run: RunRecord = {
    runId, status: 'succeeded', question: 'What happened in the big run?', documents, config, iterations: turns.length, totals: zeroTotals(),
    createdAt: new Date(t0).toISOString(), updatedAt: new Date(t0 + opts.turns * 10000).toISOString(), answer: 'big answer', stopReason: 'final',
  };
  const dir = path.join(stateDir, 'results', runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'trajectory.json'), JSON.stringify({ run, turns }));
  writeFileSync(path.join(dir, 'result.json'), JSON.stringify({ runId, status: 'succeeded', answer: 'big answer', stopReason: 'final', iterations: turns.length, question: run.question }));
  return dir;
}
