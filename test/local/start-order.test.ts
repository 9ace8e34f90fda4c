/**
 * Issue 13's start ordering through the whole local pipeline: the root model's first call is made while
 * Pyodide still boots (it needs only the question and the description of the documents), and the first
 * cell runs on the fully installed documents (real Pyodide, the on-disk store, a scripted model).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalEngine } from '../../bin/local/local-engine';
import { LocalDocumentStore } from '../../lambdas/adapters/documents/local-document-store';
import { ScriptedModel } from '../../lambdas/adapters/models';
import { PyodideSandbox } from '../../lambdas/adapters/pyodide';
import type { LanguageModel, ModelRequest } from '../../lambdas/core/ports';

jest.setTimeout(180_000);

test('the first root call does not wait for the sandbox; the first cell sees the whole document', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-start-order-'));
  const text = 'é line of the document\n'.repeat(50_000);
  writeFileSync(path.join(dir, 'doc.txt'), text);
  const scripted = new ScriptedModel({ root: [{ code: 'FINAL(str(len(context)) + " " + context[:6])' }] }, { source: 'test' });
  const sandbox = new PyodideSandbox({ documents: new LocalDocumentStore({ artifactsDir: path.join(dir, 'results') }), subModel: scripted });
  let sandboxReadyAtFirstCall: boolean | undefined;
  let firstRequest: ModelRequest | undefined;
  const model: LanguageModel = {
    description: 'spy',
    converse: (request, options) => {
      if (request.role === 'root' && !firstRequest) {
        firstRequest = request;
        sandboxReadyAtFirstCall = sandbox.lastStart !== null;
      }
      return scripted.converse(request, options);
    },
  };
  const engine = await LocalEngine.start({ model, sandbox, stateDir: path.join(dir, 'state'), runDefaults: { rootModelId: 'scripted', subModelId: 'scripted' } });
  try {
    const summary = await engine.run({ question: 'How long is it?', documents: [path.join(dir, 'doc.txt')] });
    expect(summary.answer).toBe(`${[...text].length} é line`);
    expect(sandboxReadyAtFirstCall).toBe(false);
    // The first call already describes the document: its length, computed on the host from the bytes.
    expect(JSON.stringify(firstRequest)).toContain([...text].length.toLocaleString('en-US'));
    expect(sandbox.lastStart).not.toBeNull();
  } finally {
    await engine.close();
  }
});
