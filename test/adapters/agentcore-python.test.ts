/**
 * The AgentCore adapter end to end against real CPython: the mocked InvokeCodeInterpreter hands the
 * code to a persistent python3 process (test/adapters/agentcore/fake_kernel.py) with real boto3 and
 * botocore, whose HTTP layer is faked (S3 GetObject and Bedrock Converse). This runs the rendered setup
 * script, the prelude, the boto3 backend, strict UTF-8 decoding and SIGALRM for real.
 */
import {
  BedrockAgentCoreClient,
  InvokeCodeInterpreterCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { mockClient } from 'aws-sdk-client-mock';
import { AgentCoreSandbox } from '../../lambdas/adapters/agentcore';
import { DocumentError, SandboxSessionLostError } from '../../lambdas/core/errors';
import type { SandboxSession, SandboxStartOptions } from '../../lambdas/core/ports';
import { invokeResponse, PythonKernel, pythonWithBoto3 } from './agentcore/python-kernel';

const python = pythonWithBoto3();
if (!python.ok) console.warn(`skipping the real-CPython AgentCore tests: ${python.why}`);
const describePython = python.ok ? describe : describe.skip;

const SUB_MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const BOM_DOC = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo wörld 😀\nline two\n', 'utf8')]);

function options(documents: Array<{ name: string; key: string }>, overrides: Partial<SandboxStartOptions> = {}): SandboxStartOptions {
  return {
    runId: 'run-py',
    documents: documents.map((d) => ({ name: d.name, uri: `s3://docs-bucket/${d.key}`, chars: 0 })),
    subModelId: SUB_MODEL,
    subConcurrency: 2,
    maxCaptureChars: 100_000,
    ...overrides,
  };
}

describePython('AgentCoreSandbox with a real CPython kernel', () => {
  const mock = mockClient(BedrockAgentCoreClient);
  let kernel: PythonKernel;
  let sandbox: AgentCoreSandbox;
  let session: SandboxSession;

  beforeAll(async () => {
    kernel = PythonKernel.start({
      'docs-bucket/notes/a.txt': BOM_DOC,
      'docs-bucket/logs/b.log': 'ERROR x\nINFO y\nERROR z\n',
      'docs-bucket/bad/latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      'docs-bucket/bad/nul.bin': Buffer.from('abc\u0000def', 'utf8'),
    });
    mock.on(StartCodeInterpreterSessionCommand).resolves({ codeInterpreterIdentifier: 'ci-1', sessionId: 's-py', createdAt: new Date() });
    mock.on(StopCodeInterpreterSessionCommand).resolves({ codeInterpreterIdentifier: 'ci-1', sessionId: 's-py', lastUpdatedAt: new Date() });
    mock.on(InvokeCodeInterpreterCommand).callsFake(async (input: { arguments?: { code?: string } }) =>
      invokeResponse('s-py', await kernel.run(input.arguments?.code ?? '')),
    );
    sandbox = new AgentCoreSandbox({
      client: new BedrockAgentCoreClient({ region: 'us-east-1' }),
      codeInterpreterId: 'ci-1',
      region: 'us-west-2',
      s3Region: 'eu-west-1',
      sessionTimeoutSeconds: 3600,
      subMaxAttempts: 2,
    });
    const started = await sandbox.start(options([
      { name: 'notes/a.txt', key: 'notes/a.txt' },
      { name: 'logs/b.log', key: 'logs/b.log' },
    ]));
    session = started.session;
    // LoadedContext comes from the setup report printed by the real setup script.
    expect(started.loaded.documents).toEqual([
      { name: 'notes/a.txt', uri: 's3://docs-bucket/notes/a.txt', chars: 23 },
      { name: 'logs/b.log', uri: 's3://docs-bucket/logs/b.log', chars: 23 },
    ]);
    expect(started.loaded.preview.startsWith('===== DOCUMENT 1/2: notes/a.txt (23 chars) =====\nhéllo wörld 😀')).toBe(true);
    expect(started.loaded.totalChars).toBeGreaterThan(47);
  }, 60_000);

  afterAll(async () => {
    await kernel?.close();
    mock.restore();
  });

  it('read the documents with boto3 S3 in the S3 region, never through the request', async () => {
    const s3 = kernel.awsLog().filter((e) => e.service === 's3');
    expect(s3).toEqual([
      expect.objectContaining({ method: 'GET', bucket: 'docs-bucket', key: 'notes/a.txt', host: expect.stringContaining('eu-west-1') }),
      expect.objectContaining({ method: 'GET', bucket: 'docs-bucket', key: 'logs/b.log', host: expect.stringContaining('eu-west-1') }),
    ]);
    const setupCode = mock.commandCalls(InvokeCodeInterpreterCommand)[0].args[0].input.arguments?.code ?? '';
    expect(setupCode).not.toContain('ERROR x');
    const r = await session.execute('print(len(context)); print(documents["notes/a.txt"][:5]); print(context == _rlm_json.loads(_rlm_json.dumps(context)))', { timeoutMs: 10_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[1]).toBe('héllo');
    const vars = await session.execute('SHOW_VARS()', { timeoutMs: 10_000 });
    expect(vars.stdout).toContain('(none yet)'); // setup helpers stay out of the model's view
  });

  it('runs sub-calls through boto3 Converse on a thread pool: order kept, concurrency bounded, tokens counted', async () => {
    const code = 'r = llm_query_batched(["SLEEP:0.3:a", "SLEEP:0.3:b", "SLEEP:0.3:c", "SLEEP:0.3:d"])\nprint(r)\nprint(_k_kernel_state()["max_inflight"])';
    const result = await session.execute(code, { timeoutMs: 20_000 });
    expect(result.stderr).toBe('');
    const [list, maxInflight] = result.stdout.trim().split('\n');
    expect(list).toBe("['echo:SLEEP:0.3:a', 'echo:SLEEP:0.3:b', 'echo:SLEEP:0.3:c', 'echo:SLEEP:0.3:d']");
    expect(maxInflight).toBe('2');
    expect(result.sub).toMatchObject({ calls: 4, errors: 0, inputTokens: 4 * 11, outputTokens: 4 * 16 });
    expect(result.sub.records[0]).toMatchObject({ model: SUB_MODEL, promptChars: 11, responsePreview: 'echo:SLEEP:0.3:a' });
    const converse = kernel.awsLog().filter((e) => e.service === 'converse');
    expect(converse.every((e) => e.host === 'bedrock-runtime.us-west-2.amazonaws.com' && e.model === SUB_MODEL)).toBe(true);
    expect(converse[0]).toMatchObject({ keys: ['messages'] });
  });

  it('turns a failed prompt into its own error slot (botocore ClientError code and message), retrying throttles', async () => {
    const result = await session.execute('for x in llm_query_batched(["hi", "THROTTLE me", "FAIL me"]): print(x)', { timeoutMs: 30_000 });
    expect(result.stdout.trim().split('\n')).toEqual([
      'echo:hi',
      'Error: ThrottlingException: Too many requests, please wait before trying again.',
      'Error: ValidationException: The provided model identifier is invalid.',
    ]);
    expect(result.sub).toMatchObject({ calls: 3, errors: 2 });
    expect(result.sub.records[1].error).toMatch(/^ThrottlingException: /);
    const throttled = kernel.awsLog().filter((e) => e.service === 'converse' && e.prompt === 'THROTTLE me');
    expect(throttled).toHaveLength(2); // total_max_attempts=2: botocore retried once (adaptive mode)
  }, 30_000);

  it('reads a journalled cell back from the session: its own report, sub-calls included; an unknown key is absent', async () => {
    const ran = await session.execute('jr = llm_query_batched(["a", "b"])\nprint(len(jr))', { timeoutMs: 30_000, journalKey: 't7c1' });
    expect(ran.sub.calls).toBe(2);
    expect(await sandbox.recoverCell('s-py', 't7c1', { waitMs: 1_000 })).toEqual({ state: 'done', result: ran });
    expect(await sandbox.recoverCell('s-py', 't7c2', { waitMs: 0 })).toEqual({ state: 'absent' });
    await session.execute('print(1)', { timeoutMs: 10_000 }); // not journalled: no entry
    expect(await sandbox.recoverCell('s-py', 't8c1', { waitMs: 0 })).toEqual({ state: 'absent' });
  });

  it('keeps variables between cells and parses FINAL_VAR from the printed report', async () => {
    await session.execute('answer = "ERROR count: " + str(context.count("ERROR"))', { timeoutMs: 10_000 });
    const result = await session.execute('FINAL_VAR("answer")', { timeoutMs: 10_000 });
    expect(result.final).toEqual({ value: 'ERROR count: 2', variable: 'answer' });
  });

  it('interrupts a runaway cell with SIGALRM, also while sub-calls are in flight', async () => {
    let t0 = Date.now();
    const spin = await session.execute('n = 0\nwhile True:\n    n += 1', { timeoutMs: 600 });
    expect(spin.timedOut).toBe(true);
    expect(spin.stderr).toContain('TimeoutError: the cell ran longer than 0.6s');
    expect(Date.now() - t0).toBeLessThan(5_000);
    t0 = Date.now();
    const waiting = await session.execute('llm_query_batched(["SLEEP:4:x", "SLEEP:4:y"])', { timeoutMs: 600 });
    expect(waiting.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3_000); // the pool is not joined after the interrupt
    const after = await session.execute('print(n > 0)', { timeoutMs: 5_000 });
    expect(after.stdout).toBe('True\n');
  }, 20_000);

  it('refuses documents that are not strict UTF-8 text or missing, naming them, and stops the session', async () => {
    const stopsBefore = mock.commandCalls(StopCodeInterpreterSessionCommand).length;
    await expect(sandbox.start(options([{ name: 'bad/latin1.txt', key: 'bad/latin1.txt' }]))).rejects.toThrow(
      new DocumentError("document 'bad/latin1.txt' is not a text document: not valid UTF-8 (at byte 3)"),
    );
    await expect(sandbox.start(options([{ name: 'bad/nul.bin', key: 'bad/nul.bin' }]))).rejects.toThrow(/document 'bad\/nul.bin' is not a text document: binary content \(NUL byte at offset 3\)/);
    const missing = sandbox.start(options([{ name: 'gone.txt', key: 'gone.txt' }]));
    await expect(missing).rejects.toBeInstanceOf(DocumentError);
    await expect(missing).rejects.toThrow(/document 'gone.txt' could not be read from s3:\/\/docs-bucket\/gone.txt: NoSuchKey/);
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand).length - stopsBefore).toBe(3);
  }, 30_000);

  it('enforces the cell budget inside the sandbox: calls past the cap never reach Bedrock, the report says which cap', async () => {
    const before = kernel.awsLog().filter((e) => e.service === 'converse').length;
    const code = "r = [llm_query('capped %d' % i) for i in range(10)]\nprint(sum('cap reached' in x for x in r))";
    const result = await session.execute(code, { timeoutMs: 20_000, budget: { calls: 3, allowedModels: [SUB_MODEL] } });
    expect(result.stdout).toBe('7\n');
    expect(result.capReached).toMatch(/^maxSubCalls/);
    expect(result.sub.calls).toBe(3);
    expect(kernel.awsLog().filter((e) => e.service === 'converse').length - before).toBe(3);
  }, 30_000);

  it('refuses a model outside the allowlist without calling Bedrock, in the prelude and in the backend itself', async () => {
    const before = kernel.awsLog().filter((e) => e.service === 'converse').length;
    const viaPrelude = await session.execute("print(llm_query('x', model='us.anthropic.claude-opus-4-1'))", { timeoutMs: 10_000, budget: { allowedModels: [SUB_MODEL] } });
    expect(viaPrelude.stdout).toMatch(/^Error: model 'us.anthropic.claude-opus-4-1' is not allowed in this run/);
    const direct = await session.execute("print(_rlm_backend(['x'], 'us.anthropic.claude-opus-4-1'))", { timeoutMs: 10_000 });
    expect(direct.stderr).toMatch(/PermissionError: model 'us.anthropic.claude-opus-4-1' is not allowed in this run/);
    expect(kernel.awsLog().filter((e) => e.service === 'converse').length).toBe(before);
  });

  it('sends maxTokens when configured and marks a reply cut at the limit as truncated', async () => {
    const capped = new AgentCoreSandbox({
      client: new BedrockAgentCoreClient({ region: 'us-east-1' }), codeInterpreterId: 'ci-1', region: 'us-west-2',
      s3Region: 'eu-west-1', sessionTimeoutSeconds: 3600, subMaxOutputTokens: 64,
    });
    const started = await capped.start(options([{ name: 'logs/b.log', key: 'logs/b.log' }]));
    const result = await started.session.execute("print(llm_query('CUT this'))", { timeoutMs: 10_000 });
    expect(result.stdout).toBe('echo:CUT this\n[... reply cut off: the sub-model reached its output token limit]\n');
    expect(result.sub.records[0]).toMatchObject({ truncated: true });
    const call = kernel.awsLog().filter((e) => e.service === 'converse').at(-1);
    expect(call).toMatchObject({ prompt: 'CUT this', inferenceConfig: { maxTokens: 64 } });
  });

  it('takes the run\'s sub-call output limit from the start options (SandboxStartOptions.subMaxOutputTokens)', async () => {
    const started = await sandbox.start(options([{ name: 'logs/b.log', key: 'logs/b.log' }], { subMaxOutputTokens: 32 }));
    const result = await started.session.execute("print(llm_query('CUT per run'))", { timeoutMs: 10_000 });
    expect(result.stdout).toContain('[... reply cut off: the sub-model reached its output token limit]');
    const call = kernel.awsLog().filter((e) => e.service === 'converse').at(-1);
    expect(call).toMatchObject({ prompt: 'CUT per run', inferenceConfig: { maxTokens: 32 } });
  });

  it('reports a kernel that lost the prelude as a lost session', async () => {
    await kernel.run('del _rlm_run_cell');
    await expect(session.execute('print(1)', { timeoutMs: 5_000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
  });
});
