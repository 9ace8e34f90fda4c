/**
 * The floor of a root turn when model code runs in its own sandbox process (issue 8),
 * run by `bench/peer.ts --floor` next to this project and the reference: the fewest steps such a turn
 * can take, with this project's own parts and nothing else. Each turn calls the root model through the
 * OpenAI-compatible adapter (the same system prompt, tool and growing conversation as `rlm run`), takes
 * the code out of the reply and runs it in a Pyodide sandbox session, then appends both to the
 * conversation. No state machine, no store, no records, no accounting, no limits: what is left is the
 * model call over loopback HTTP and the hand-off to the sandbox process and back.
 *
 *   npx tsx bench/peer/floor-driver.ts BASE_URL DOCUMENT MAX_ITERATIONS
 *
 * Never part of the product; it lives under bench/ only.
 */
import '../../bin/cli/quiet-sdk';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalDocumentStore } from '../../lambdas/adapters/documents/local-document-store';
import { OpenAICompatibleModel } from '../../lambdas/adapters/models/openai-model';
import { PyodideSandbox } from '../../lambdas/adapters/pyodide';
import { DEFAULT_RUN_CONFIG } from '../../lambdas/core/config';
import type { ChatMessage } from '../../lambdas/core/ports';
import { EXECUTE_PYTHON_TOOL, systemPrompt } from '../../lambdas/core/prompts';
import { parseReply } from '../../lambdas/core/reply-parser';

async function main(): Promise<void> {
  const [baseUrl, document, maxIterations] = process.argv.slice(2);
  if (!baseUrl || !document || !maxIterations) throw new Error('usage: floor-driver.ts BASE_URL DOCUMENT MAX_ITERATIONS');
  const model = new OpenAICompatibleModel({ baseUrl, apiKey: 'peer', model: 'peer-root' });
  const documents = new LocalDocumentStore({ artifactsDir: path.join(path.dirname(document), 'floor-artifacts') });
  const sandbox = new PyodideSandbox({ documents, subModel: model });
  const chars = readFileSync(document, 'utf8').length;
  const { session } = await sandbox.start({
    runId: 'floor', documents: [{ name: path.basename(document), uri: document, chars }],
    subModelId: 'peer-sub', subConcurrency: DEFAULT_RUN_CONFIG.subConcurrency, maxCaptureChars: 100_000,
  });
  const system = systemPrompt(DEFAULT_RUN_CONFIG.maxOutputChars);
  const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'Benchmark question: reply as scripted.' }] }];
  try {
    for (let turn = 1; turn <= Number(maxIterations); turn++) {
      const reply = await model.converse({ role: 'root', modelId: 'peer-root', system, messages, tools: [EXECUTE_PYTHON_TOOL] });
      const { requests } = parseReply(reply.content);
      if (requests.length === 0) throw new Error(`turn ${turn}: the reply held no code`);
      const result = await session.execute(requests[0]!.code, { timeoutMs: DEFAULT_RUN_CONFIG.cellTimeoutMs });
      if (result.final) {
        process.stdout.write(`${result.final.value}\n`);
        return;
      }
      messages.push({ role: 'assistant', content: reply.content }, { role: 'user', content: [{ type: 'text', text: `Output:\n${result.stdout}${result.stderr}` }] });
    }
    throw new Error(`no FINAL within ${maxIterations} turns`);
  } finally {
    await sandbox.closeAll();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
