/**
 * No turn fails for its size (issue 10): on the DynamoDB store (dynalite) and on the local on-disk store, with
 * artifacts as files, a turn of
 * six cells of 800,000 characters of base64 each, ending in a FINAL of 1 MB (and of 50 MB) of incompressible
 * text, is recorded and finalized; each output is stored once, in full, as an artifact; the answer comes back
 * whole. The sandbox is a double at the port (Pyodide's own capture limits are tested in test/adapters).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { emptySubStats } from '../../lambdas/core/cell-report';
import type { EngineDeps } from '../../lambdas/core/engine-deps';
import { noMetrics, silentLogger, type Sandbox, type SandboxSession } from '../../lambdas/core/ports';
import { finalizeRun, loadTurns, runRootTurn, startRun } from '../../lambdas/core/run';
import { ITEM_BYTE_BUDGET } from '../../lambdas/core/run/spill';
import type { CellResult } from '../../lambdas/core/types';
import { DynamoConversationStore } from '../../lambdas/adapters/dynamodb';
import { createConversationTable, startDynalite, type EmbeddedDynalite } from '../../lambdas/adapters/dynamodb/embedded-dynalite';
import { LocalDocumentStore } from '../../lambdas/adapters/documents';
import { fromFileUri } from '../../lambdas/adapters/documents/local-document-store';
import { ScriptedModel } from '../../lambdas/adapters/models';
import { FileConversationStore } from '../../lambdas/adapters/local-store';

/** Printable ASCII from random bytes: does not compress below ~80%. */
function incompressible(chars: number): string {
  const bytes = randomBytes(chars);
  for (let i = 0; i < bytes.length; i++) bytes[i] = 33 + (bytes[i] % 94);
  return bytes.toString('latin1');
}

/** Cells answer from a table: `out N` prints N chars of base64, `final` returns the answer. */
class TableSandbox implements Sandbox {
  readonly description = 'table';
  constructor(private readonly outputs: Map<string, Partial<CellResult>>) {}
  private session(id: string): SandboxSession {
    return {
      sessionId: id,
      execute: async (code) => ({ stdout: '', stderr: '', timedOut: false, raised: false, durationMs: 1, sub: emptySubStats(), ...this.outputs.get(code) }),
      close: async () => {},
    };
  }
  async start() {
    return { session: this.session('s1'), loaded: { documents: [{ name: 'doc', uri: 'file:///doc', chars: 1 }], totalChars: 1, preview: 'x' } };
  }
  async resume(id: string) { return this.session(id); }
  async stop() {}
}

let db: EmbeddedDynalite;
const dir = mkdtempSync(path.join(tmpdir(), 'rlm-big-'));
beforeAll(async () => {
  db = await startDynalite();
  await createConversationTable(db.client, 'big');
});
afterAll(() => db.close());

type StoreKind = 'dynamodb' | 'local';

async function bigRun(answerChars: number, kind: StoreKind) {
  const cells = Array.from({ length: 6 }, (_, i) => `out${i}`);
  const outputs = new Map<string, Partial<CellResult>>(cells.map((c) => [c, { stdout: randomBytes(600_000).toString('base64') }]));
  const answer = incompressible(answerChars);
  outputs.set('final', { final: { value: answer } });
  const documents = new LocalDocumentStore({ artifactsDir: path.join(dir, `results-${answerChars}`) });
  const deps: EngineDeps = {
    store: kind === 'dynamodb' ? new DynamoConversationStore({ client: db.client, tableName: 'big' }) : new FileConversationStore({ dir: path.join(dir, `runs-${answerChars}`) }),
    sandbox: new TableSandbox(outputs), model: new ScriptedModel({ root: [{ code: [...cells, 'final'] }] }, { source: 'big' }),
    documents: { ...documents, resolve: async (uri) => [{ name: 'doc', uri, chars: 1 }], readText: (u) => documents.readText(u), putArtifact: (k, b, c) => documents.putArtifact(k, b, c) },
    events: { runFinished: async () => {} }, logger: silentLogger, metrics: noMetrics,
  };
  const runId = `big-${kind}-${answerChars}`;
  await startRun(deps, { runId, request: { question: 'q', documents: ['file:///doc'] } }, { rootModelId: 'scripted', subModelId: 'scripted' });
  const state = await runRootTurn(deps, { runId });
  const ended = await finalizeRun(deps, runId);
  return { deps, runId, state, ended, outputs, answer, cells };
}

test.each([
  ['dynamodb', 1_000_000], ['dynamodb', 50_000_000], ['local', 1_000_000], ['local', 50_000_000],
] as const)('%s store: six cells of 800,000 base64 characters and a FINAL of %d incompressible characters finish', async (kind, answerChars) => {
  const { deps, runId, state, ended, outputs, answer, cells } = await bigRun(answerChars, kind);
  expect(outputs.get('out0')!.stdout!.length).toBe(800_000);
  expect(state).toMatchObject({ done: true, stopReason: 'final', iteration: 1 });
  expect(ended.status).toBe('succeeded');
  const stored = await deps.store.listTurns(runId);
  expect(Buffer.byteLength(JSON.stringify(stored[0]))).toBeLessThan(ITEM_BYTE_BUDGET);
  // Each full output once, whole, as an artifact; the item keeps a preview and the model-visible copy.
  const [turn] = await loadTurns(deps, runId);
  for (const [i, cell] of turn.cells.slice(0, 6).entries()) {
    expect(readFileSync(fromFileUri(cell.fullOutputUri!), 'utf8')).toBe(outputs.get(cells[i])!.stdout);
    expect(cell.fullOutput.length).toBeLessThan(3_000);
  }
  // The answer: whole from the result and through loadTurns, one artifact, previews elsewhere.
  expect(turn.outcome!.answer).toBe(answer);
  const run = await deps.store.getRun(runId);
  expect(run.answer!.length).toBeLessThan(3_000);
  expect(run.answerUri).toBe(turn.outcome!.answerUri);
  expect(turn.cells[6].result.final!.valueUri).toBe(run.answerUri);
  const result = JSON.parse(readFileSync(fromFileUri(ended.resultUri!), 'utf8'));
  expect(result.answer).toBe(answer);
  expect(statSync(fromFileUri(ended.trajectoryUri!)).size).toBeLessThan(answerChars); // previews, not another copy
  const answerFiles = readdirSync(path.dirname(fromFileUri(run.answerUri!))).filter((f) => f.startsWith('answer'));
  expect(answerFiles).toEqual(['answer.txt']);
}, 120_000);

test('a turn (and a cell step) over the item budget is stored whole as an artifact, and the next turn sees all of it', async () => {
  const cells = Array.from({ length: 3 }, (_, i) => `wide${i}`);
  const outputs = new Map<string, Partial<CellResult>>(cells.map((c) => [c, { stdout: randomBytes(300_000).toString('base64') }]));
  outputs.set('final', { final: { value: 'done' } });
  const documents = new LocalDocumentStore({ artifactsDir: path.join(dir, 'results-wide') });
  const model = new ScriptedModel({ root: [{ code: cells }, { code: 'final' }] }, { source: 'wide' });
  const seen: string[] = [];
  const deps: EngineDeps = {
    store: new DynamoConversationStore({ client: db.client, tableName: 'big' }), sandbox: new TableSandbox(outputs),
    model: { description: 'spy', converse: async (req, o) => { seen.push(JSON.stringify(req.messages)); void o; return model.converse(req); } },
    documents: { resolve: async (uri) => [{ name: 'doc', uri, chars: 1 }], readText: (u) => documents.readText(u), putArtifact: (k, b, c) => documents.putArtifact(k, b, c) },
    events: { runFinished: async () => {} }, logger: silentLogger, metrics: noMetrics,
  };
  const runId = 'wide-1';
  await startRun(deps, { runId, request: { question: 'q', documents: ['file:///doc'] } }, { rootModelId: 'scripted', subModelId: 'scripted', maxOutputChars: 400_000 });
  await runRootTurn(deps, { runId });
  const steps = await deps.store.listSteps(runId, 1);
  expect(steps.filter((s) => s.step.kind === 'spilled').length).toBe(3); // each cell_done of 400 KB
  const [stored] = await deps.store.listTurns(runId);
  expect(stored.bodyUri).toBeDefined();
  expect(stored.cells).toEqual([]);
  await runRootTurn(deps, { runId });
  for (const c of cells) expect(seen[1]).toContain(outputs.get(c)!.stdout!.slice(0, 1_000));
  expect((await finalizeRun(deps, runId)).status).toBe('succeeded');
}, 60_000);
