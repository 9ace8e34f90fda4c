/**
 * `subMaxOutputTokens`, one row of the settings table, end to end: the CLI flag and the CDK context key parse it,
 * the stack's Lambda environment carries it and the handlers read it back as a run default, and on the local
 * pipeline (real Pyodide sandbox, local engine) each sub-call is made with the limit and a reply cut there reaches
 * the model's code with a note saying so, while the sub-call record is marked truncated.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScriptedModel } from '../../lambdas/adapters/models';
import type { LanguageModel, ModelCallOptions, ModelRequest, ModelResponse } from '../../lambdas/core/ports';
import { LAMBDA_ENV, readLambdaEnv, settingEnvironment } from '../../lambdas/handlers/lambda-env';
import { pipelineConfigFromContext, resolvePipelineConfig } from '../../lib/pipeline-config';
import { runOptionsFromFlags } from '../../bin/cli/run-options';
import { LocalEngine } from '../../bin/local/local-engine';

/** Cuts every sub reply to `maxOutputTokens` words (stopReason max_tokens) and remembers the limits it was given. */
class CuttingModel implements LanguageModel {
  readonly description = 'cutting';
  readonly subLimits: Array<number | undefined> = [];
  constructor(private readonly inner: LanguageModel) {}
  async converse(request: ModelRequest, options: ModelCallOptions = {}): Promise<ModelResponse> {
    const res = await this.inner.converse(request, options);
    if (request.role !== 'sub') return res;
    this.subLimits.push(request.maxOutputTokens);
    const words = res.content.map((b) => (b.type === 'text' ? b.text : '')).join('').split(' ');
    const limit = request.maxOutputTokens;
    if (limit === undefined || words.length <= limit) return res;
    return { ...res, content: [{ type: 'text', text: words.slice(0, limit).join(' ') }], stopReason: 'max_tokens', usage: { ...res.usage, outputTokens: limit } };
  }
}

test('the flag, the context key and the Lambda environment carry it', () => {
  expect(runOptionsFromFlags({ 'sub-max-tokens': '256' })).toEqual({ subMaxOutputTokens: 256 });
  expect(() => runOptionsFromFlags({ 'sub-max-tokens': '0' })).toThrow('--sub-max-tokens must be a positive integer, got "0"');
  expect(() => runOptionsFromFlags({ 'sub-max-tokens': '200000' })).toThrow('--sub-max-tokens must be from 1 to 128000, got "200000"');
  const config = resolvePipelineConfig(pipelineConfigFromContext((k) => ({ subMaxOutputTokens: '512' })[k]));
  expect(config.subMaxOutputTokens).toBe(512);
  expect(() => resolvePipelineConfig({ subMaxOutputTokens: 0 })).toThrow(/^subMaxOutputTokens must be an integer from 1 to 128000/);
  const vars = settingEnvironment({ ...config, subModelId: config.subModelIds[0] });
  expect(vars[LAMBDA_ENV.subMaxOutputTokens]).toBe('512');
  const env = readLambdaEnv({ ...vars, TABLE_NAME: 't', BUCKET_NAME: 'b', CODE_INTERPRETER_ID: 'ci' });
  expect(env.runDefaults).toMatchObject({ subMaxOutputTokens: 512, maxIterations: config.maxIterations });
  // Not configured: absent from the environment, and no limit in the run defaults.
  const plain = resolvePipelineConfig({});
  expect(settingEnvironment({ ...plain, subModelId: plain.subModelIds[0] })).not.toHaveProperty(LAMBDA_ENV.subMaxOutputTokens);
  expect(readLambdaEnv({ TABLE_NAME: 't', BUCKET_NAME: 'b', CODE_INTERPRETER_ID: 'ci' }).runDefaults).not.toHaveProperty('subMaxOutputTokens');
  expect(() => readLambdaEnv({ TABLE_NAME: 't', BUCKET_NAME: 'b', CODE_INTERPRETER_ID: 'ci', SUB_MAX_OUTPUT_TOKENS: 'lots' }))
    .toThrow('environment variable SUB_MAX_OUTPUT_TOKENS must be a number, got "lots"');
});

test('local pipeline: each sub-call gets the limit and a cut reply says so to the code', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-sub-limit-'));
  const doc = path.join(dir, 'doc.txt');
  writeFileSync(doc, 'alpha\n');
  const model = new CuttingModel(new ScriptedModel({
    root: [{ code: 'r = llm_query("long please")\nprint(r)' }, { code: 'FINAL("done")' }],
    sub: { default: 'one two three four five six seven eight' },
  }));
  const engine = await LocalEngine.start({
    model, stateDir: path.join(dir, 'state'),
    runDefaults: { rootModelId: 'scripted', subModelId: 'scripted', subMaxOutputTokens: 3 },
  });
  try {
    const summary = await engine.run({ question: 'q', documents: [`file://${doc}`] });
    expect(summary.status).toBe('succeeded');
    expect(model.subLimits).toEqual([3]);
    const trajectory = JSON.parse(readFileSync(summary.trajectoryPath as string, 'utf8'));
    const cell = trajectory.turns[0].cells[0];
    expect(cell.fullOutput).toContain('one two three\n[... reply cut off: the sub-model reached its output token limit]');
    expect(cell.fullOutput).not.toContain('four');
    expect(cell.result.sub.records[0]).toMatchObject({ truncated: true, outputTokens: 3 });
  } finally {
    await engine.close();
  }
}, 120_000);
