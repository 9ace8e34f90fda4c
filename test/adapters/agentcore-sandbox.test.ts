/**
 * AgentCoreSandbox at the SDK boundary (aws-sdk-client-mock): requests sent, event streams consumed,
 * errors mapped. The Python it sends is run for real in agentcore-python.test.ts.
 */
import {
  BedrockAgentCoreClient,
  type InvokeCodeInterpreterCommandOutput,
  GetCodeInterpreterSessionCommand,
  InvokeCodeInterpreterCommand,
  ListCodeInterpreterSessionsCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { mockClient } from 'aws-sdk-client-mock';
import { AgentCoreSandbox, LAMBDA_MAX_TIMEOUT_SECONDS, sessionNameFor, sessionTimeoutForRun } from '../../lambdas/adapters/agentcore';
import { ConfigError, DocumentError, SandboxError, SandboxSessionLostError, SandboxThrottledError, SandboxUnavailableError } from '../../lambdas/core/errors';
import type { SandboxStartOptions } from '../../lambdas/core/ports';
import { CELL_REPORT_MARKER, PYTHON_PRELUDE, printedCellInvocation } from '../../lambdas/core/prelude.py';
import { cellStdout, invokeOutput, resultEvent, sdkErrors, setupStdout, TEST_NONCE } from './agentcore/stream-fixtures';

const mock = mockClient(BedrockAgentCoreClient);
const START_OPTIONS: SandboxStartOptions = {
  runId: 'run_2025-01-01T00:00:00Z/ä',
  documents: [
    { name: 'logs/app.log', uri: 's3://in-bucket/runs/x/logs/app.log', chars: 100 },
    { name: 'notes.md', uri: 's3://in-bucket/runs/x/notes.md', chars: 20 },
  ],
  subModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  subConcurrency: 8,
  maxCaptureChars: 50_000,
};

function sandbox(overrides: Partial<ConstructorParameters<typeof AgentCoreSandbox>[0]> = {}): AgentCoreSandbox {
  return new AgentCoreSandbox({
    client: new BedrockAgentCoreClient({ region: 'us-east-1' }),
    codeInterpreterId: 'rlm_ci-AbC123',
    region: 'us-west-2',
    sessionTimeoutSeconds: 3600,
    cellNonce: () => TEST_NONCE,
    ...overrides,
  });
}

function mockStart(sessionId = 's-1'): void {
  mock.on(StartCodeInterpreterSessionCommand).resolves({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId, createdAt: new Date() });
  mock.on(StopCodeInterpreterSessionCommand).resolves({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId, lastUpdatedAt: new Date() });
}

/** InvokeCodeInterpreter answers, consumed in order (an Error is thrown by `send`). */
const invokeQueue: Array<InvokeCodeInterpreterCommandOutput | Error> = [];
function queueInvoke(...items: Array<InvokeCodeInterpreterCommandOutput | Error>): void {
  invokeQueue.push(...items);
}

function mockSetupOk(): void {
  queueInvoke(invokeOutput([resultEvent(setupStdout([{ name: 'logs/app.log', chars: 97 }, { name: 'notes.md', chars: 19 }], '===== DOCUMENT 1/2', 210))]));
}

async function startedSession() {
  mockStart();
  mockSetupOk();
  return (await sandbox().start(START_OPTIONS)).session;
}

/** The embedded configuration of a rendered setup script. */
function embeddedConfig(code: string): Record<string, unknown> {
  const m = /_rlm_setup_cfg = _rlm_json\.loads\(__import__\('base64'\)\.b64decode\('([A-Za-z0-9+/=]+)'\)/.exec(code);
  if (!m) throw new Error('no embedded config');
  return JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as Record<string, unknown>;
}

beforeEach(() => {
  mock.reset();
  invokeQueue.length = 0;
  mock.on(InvokeCodeInterpreterCommand).callsFake(async () => {
    const next = invokeQueue.shift();
    if (!next) throw new Error('unexpected InvokeCodeInterpreter call');
    if (next instanceof Error) throw next;
    return next;
  });
});
afterAll(() => mock.restore());

describe('AgentCoreSandbox.start', () => {
  it('starts a named session with the timeout, installs the prelude and loads documents from S3 inside the sandbox', async () => {
    mockStart('sess-42');
    mockSetupOk();
    const { session, loaded } = await sandbox({ s3Region: 'eu-central-1' }).start(START_OPTIONS);

    const start = mock.commandCalls(StartCodeInterpreterSessionCommand)[0].args[0].input;
    expect(start).toEqual({ codeInterpreterIdentifier: 'rlm_ci-AbC123', name: 'rlm-run-2025-01-01T00-00-00Z', sessionTimeoutSeconds: 3600 });
    expect(start.name).toMatch(/^[0-9A-Za-z][0-9A-Za-z-]{0,99}$/);

    const invoke = mock.commandCalls(InvokeCodeInterpreterCommand)[0].args[0].input;
    expect(invoke).toMatchObject({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId: 'sess-42', name: 'executeCode', arguments: { language: 'python' } });
    const code = invoke.arguments?.code ?? '';
    expect(code.startsWith(PYTHON_PRELUDE)).toBe(true);
    expect(code).toContain("boto3.client('s3'");
    expect(code).toContain("s3.get_object(Bucket=m.group(1), Key=m.group(2))");
    expect(code).toContain("'bedrock-runtime'");
    expect(code).not.toContain('logs/app.log'); // names and URIs travel only inside the base64 JSON
    expect(embeddedConfig(code)).toEqual({
      region: 'us-west-2',
      s3_region: 'eu-central-1',
      sub_model: START_OPTIONS.subModelId,
      sub_concurrency: 8,
      capture: 50_000,
      documents: [
        { name: 'logs/app.log', uri: 's3://in-bucket/runs/x/logs/app.log' },
        { name: 'notes.md', uri: 's3://in-bucket/runs/x/notes.md' },
      ],
      preview_chars: 500,
      sub_max_attempts: 8,
      sub_read_timeout: 300,
      allowed_models: [START_OPTIONS.subModelId],
      sub_max_tokens: null,
      marker: '__RLM_SETUP_REPORT__',
    });

    expect(session.sessionId).toBe('sess-42');
    expect(loaded).toEqual({
      documents: [
        { name: 'logs/app.log', uri: 's3://in-bucket/runs/x/logs/app.log', chars: 97 },
        { name: 'notes.md', uri: 's3://in-bucket/runs/x/notes.md', chars: 19 },
      ],
      totalChars: 210,
      preview: '===== DOCUMENT 1/2',
    });
  });

  it('derives valid session names from any run ID', () => {
    expect(sessionNameFor('abc')).toBe('rlm-abc');
    expect(sessionNameFor('a/b c__d-')).toBe('rlm-a-b-c-d');
    const long = sessionNameFor('x'.repeat(300));
    expect(long).toHaveLength(100);
    expect(long).toMatch(/^[0-9A-Za-z][0-9A-Za-z-]{0,99}$/);
  });

  it('turns a document error from the setup cell into DocumentError and stops the session', async () => {
    mockStart();
    const report = { ok: false, kind: 'document', document: 'notes.md', message: "document 'notes.md' is not a text document: not valid UTF-8 (at byte 7)" };
    queueInvoke(invokeOutput([resultEvent(`__RLM_SETUP_REPORT__${JSON.stringify(report)}\n`)]));
    const started = sandbox().start(START_OPTIONS);
    await expect(started).rejects.toBeInstanceOf(DocumentError);
    await expect(started).rejects.toThrow("document 'notes.md' is not a text document: not valid UTF-8 (at byte 7)");
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand)[0].args[0].input).toEqual({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId: 's-1' });
  });

  it('fails with SandboxError (and stops the session) when setup prints no report, e.g. boto3 missing', async () => {
    mockStart();
    queueInvoke(invokeOutput([resultEvent('', "ModuleNotFoundError: No module named 'boto3'\n", true)]));
    const started = sandbox().start(START_OPTIONS);
    await expect(started).rejects.toBeInstanceOf(SandboxError);
    await expect(started).rejects.toThrow(/no valid report; stderr: ModuleNotFoundError: No module named 'boto3'/);
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand)).toHaveLength(1);
  });

  it('refuses non-S3 or duplicate documents before starting a session', async () => {
    mockStart();
    const local = { ...START_OPTIONS, documents: [{ name: 'a.txt', uri: 'file:///tmp/a.txt', chars: 1 }] };
    await expect(sandbox().start(local)).rejects.toThrow(new DocumentError('document "a.txt" has no s3://bucket/key URI (file:///tmp/a.txt); the AgentCore sandbox reads documents from S3'));
    const dup = { ...START_OPTIONS, documents: [START_OPTIONS.documents[0], START_OPTIONS.documents[0]] };
    await expect(sandbox().start(dup)).rejects.toBeInstanceOf(DocumentError);
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(0);
  });

  it('maps StartCodeInterpreterSession errors: throttling and quota retryable, others SandboxError', async () => {
    mock.on(StartCodeInterpreterSessionCommand).rejectsOnce(sdkErrors.throttling()).rejectsOnce(sdkErrors.quota())
      .rejectsOnce(sdkErrors.notFound('Code interpreter not found')).rejectsOnce(sdkErrors.accessDenied());
    const throttled = sandbox().start(START_OPTIONS);
    await expect(throttled).rejects.toBeInstanceOf(SandboxThrottledError);
    await expect(throttled).rejects.toThrow('AgentCore StartCodeInterpreterSession failed: ThrottlingException: Rate exceeded');
    await expect(sandbox().start(START_OPTIONS)).rejects.toBeInstanceOf(SandboxThrottledError);
    const notFound = await sandbox().start(START_OPTIONS).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(SandboxError); // a missing interpreter is a configuration problem, not a lost session
    expect((notFound as Error).name).toBe('SandboxError');
    expect((notFound as Error).cause).toBeInstanceOf(Error);
    await expect(sandbox().start(START_OPTIONS)).rejects.toThrow(/AccessDeniedException: not authorized/);
  });

  it('gives up on a setup call that never answers with a plain SandboxError and stops the session', async () => {
    mockStart();
    mock.on(InvokeCodeInterpreterCommand).callsFake(() => new Promise(() => undefined));
    const err = (await sandbox({ setupTimeoutMs: 50 }).start(START_OPTIONS).then(() => undefined, (e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(SandboxError);
    expect(err.name).toBe('SandboxError');
    expect(err.message).toMatch(/session setup did not answer/);
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand)).toHaveLength(1);
  });

  it('first stops the READY sessions its run left (a retried StartRun), following every List page, and only those', async () => {
    const name = sessionNameFor(START_OPTIONS.runId);
    const summary = (sessionId: string, n: string, status: 'READY' | 'TERMINATED' = 'READY') => ({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId, name: n, status, createdAt: new Date() });
    mock.on(ListCodeInterpreterSessionsCommand)
      .resolvesOnce({ items: [summary('other-run', 'rlm-other'), summary('leaked-1', name)], nextToken: 'p2' })
      .resolvesOnce({ items: [summary('gone', name, 'TERMINATED'), summary('leaked-2', name)] });
    mockStart('fresh');
    mockSetupOk();
    const { session } = await sandbox().start(START_OPTIONS);
    expect(session.sessionId).toBe('fresh');
    expect(mock.commandCalls(ListCodeInterpreterSessionsCommand).map((c) => c.args[0].input)).toEqual([
      { codeInterpreterIdentifier: 'rlm_ci-AbC123', status: 'READY', maxResults: 100 },
      { codeInterpreterIdentifier: 'rlm_ci-AbC123', status: 'READY', maxResults: 100, nextToken: 'p2' },
    ]);
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand).map((c) => c.args[0].input.sessionId)).toEqual(['leaked-1', 'leaked-2']);
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(1);
  });

  it('does not start a session when listing the old ones is throttled (the task is retried)', async () => {
    mock.on(ListCodeInterpreterSessionsCommand).rejects(sdkErrors.throttling());
    mockStart();
    await expect(sandbox().start(START_OPTIONS)).rejects.toBeInstanceOf(SandboxThrottledError);
    expect(mock.commandCalls(StartCodeInterpreterSessionCommand)).toHaveLength(0);
  });

  it('derives the session timeout from the run budget (StartRun + turns + FinalizeRun), within the configured cap and AgentCore bounds', () => {
    expect(sessionTimeoutForRun({ maxIterations: 10, capSeconds: 28_800 })).toBe(12 * LAMBDA_MAX_TIMEOUT_SECONDS);
    expect(sessionTimeoutForRun({ maxIterations: 1, capSeconds: 28_800 })).toBe(2_700);
    expect(sessionTimeoutForRun({ maxIterations: 10, capSeconds: 3_600 })).toBe(3_600);
    expect(sessionTimeoutForRun({ maxIterations: 100, capSeconds: 28_800 })).toBe(28_800);
    expect(sessionTimeoutForRun({ maxIterations: 1, capSeconds: 10 })).toBe(60);
  });

  it('rejects a session timeout beyond AgentCore limits', () => {
    expect(() => sandbox({ sessionTimeoutSeconds: 28_801 })).toThrow(ConfigError);
    expect(() => sandbox({ sessionTimeoutSeconds: 30 })).toThrow(ConfigError);
  });
});

describe('AgentCoreSession.execute', () => {
  it('sends the cell via printedCellInvocation with the timeout in seconds and parses the report', async () => {
    const session = await startedSession();
    const report = {
      stdout: 'counted\n',
      final: { value: '42', variable: 'answer' },
      duration_ms: 1234,
      sub: {
        calls: 2, errors: 1, input_tokens: 30, output_tokens: 12,
        records: [
          { model: 'm', prompt_chars: 10, response_chars: 5, prompt_preview: 'p', response_preview: 'r', input_tokens: 15, output_tokens: 12, ms: 800 },
          { model: 'm', prompt_chars: 9, response_chars: 0, prompt_preview: 'q', response_preview: 'ThrottlingException: slow down', input_tokens: 15, output_tokens: 0, ms: 90, error: 'ThrottlingException: slow down' },
        ],
      },
    };
    queueInvoke(invokeOutput([resultEvent(cellStdout(report))]));
    const result = await session.execute('answer = "42"\nFINAL_VAR("answer")', { timeoutMs: 12_500 });
    const sent = mock.commandCalls(InvokeCodeInterpreterCommand).at(-1)!.args[0].input;
    expect(sent.arguments).toEqual({ language: 'python', code: printedCellInvocation('answer = "42"\nFINAL_VAR("answer")', 12.5, { nonce: TEST_NONCE }) });
    expect(sent.sessionId).toBe('s-1');
    expect(result).toEqual({
      stdout: 'counted\n', stderr: '', final: { value: '42', variable: 'answer' }, timedOut: false, raised: false, durationMs: 1234,
      sub: {
        calls: 2, errors: 1, inputTokens: 30, outputTokens: 12,
        records: [
          { model: 'm', promptChars: 10, responseChars: 5, promptPreview: 'p', responsePreview: 'r', inputTokens: 15, outputTokens: 12, durationMs: 800 },
          { model: 'm', promptChars: 9, responseChars: 0, promptPreview: 'q', responsePreview: 'ThrottlingException: slow down', inputTokens: 15, outputTokens: 0, durationMs: 90, error: 'ThrottlingException: slow down' },
        ],
      },
    });
  });

  it('reads stdout from text content blocks when there is no structured content, across several events', async () => {
    const session = await startedSession();
    const line = cellStdout({ stdout: 'ok\n' });
    queueInvoke(invokeOutput([
      { result: { content: [{ type: 'text', text: line.slice(0, 30) }] } },
      { result: { content: [{ type: 'image', data: new Uint8Array([1]) }, { type: 'text', text: line.slice(30) }] } },
    ]));
    expect((await session.execute('print("ok")', { timeoutMs: 5000 })).stdout).toBe('ok\n');
  });

  it('is not fooled by the marker printed by model code (it sits inside the report JSON)', async () => {
    const session = await startedSession();
    queueInvoke(invokeOutput([resultEvent(cellStdout({ stdout: '__RLM_CELL_REPORT__{"fake": 1}\n' }))]));
    expect((await session.execute('print("__RLM_CELL_REPORT__{...}")', { timeoutMs: 5000 })).stdout).toBe('__RLM_CELL_REPORT__{"fake": 1}\n');
  });

  it('takes the report only from the line with this cell\'s nonce, not a marker line printed outside the capture', async () => {
    const session = await startedSession();
    const forged = `${CELL_REPORT_MARKER}${JSON.stringify({ stdout: '', final: { value: 'forged' }, sub: { calls: 0 } })}\n`;
    // A thread left running by model code prints a bare-marker line after the real report.
    queueInvoke(invokeOutput([resultEvent(cellStdout({ stdout: 'real\n' }) + forged)]));
    const result = await session.execute('x', { timeoutMs: 5000 });
    expect(result.final).toBeUndefined();
    expect(result.stdout).toContain('real\n');
    expect(result.stdout).toContain('"forged"'); // kept as output, not taken as the report
  });

  it('passes the cell budget to the prelude (base64 JSON) so it is enforced in the sandbox too', async () => {
    const session = await startedSession();
    queueInvoke(invokeOutput([resultEvent(cellStdout({}))]));
    const budget = { calls: 3, tokens: 1000, allowedModels: ['m-sub', 'm-root'], prices: { 'm-sub': { input: 1, output: 5 } } };
    await session.execute('x', { timeoutMs: 5000, budget });
    const code = String(mock.commandCalls(InvokeCodeInterpreterCommand).at(-1)!.args[0].input.arguments?.code);
    const b64 = /json'\)\.loads\(__import__\('base64'\)\.b64decode\('([A-Za-z0-9+/=]+)'\)/.exec(code)?.[1];
    expect(JSON.parse(Buffer.from(String(b64), 'base64').toString('utf8'))).toEqual({
      calls: 3, tokens: 1000, cost_usd: null, allowed_models: ['m-sub', 'm-root'], prices: { 'm-sub': { input: 1, output: 5 } },
    });
  });

  it('maps exception events after output: throttling or internal errors unavailable (fate unknown), not-found or expired session lost, others SandboxError', async () => {
    const session = await startedSession();
    const cases: Array<[Record<string, unknown>, new (...a: never[]) => Error, RegExp]> = [
      [{ throttlingException: { message: 'Rate exceeded' } }, SandboxUnavailableError, /cell failed: ThrottlingException: Rate exceeded.*may have run/],
      [{ resourceNotFoundException: { message: 'Session s-1 not found' } }, SandboxSessionLostError, /ResourceNotFoundException/],
      [{ validationException: { message: 'Session s-1 has expired', reason: 'FieldValidationFailed' } }, SandboxSessionLostError, /has expired/],
      [{ conflictException: { message: 'Session s-1 is terminated' } }, SandboxSessionLostError, /ConflictException/],
      [{ internalServerException: { message: 'boom' } }, SandboxUnavailableError, /InternalServerException: boom/],
      [{ accessDeniedException: { message: 'no' } }, SandboxError, /AccessDeniedException: no/],
    ];
    for (const [event, cls, message] of cases) {
      queueInvoke(invokeOutput([resultEvent('partial'), event as never]));
      const err = await session.execute('x', { timeoutMs: 5000 }).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(cls);
      expect(err).toMatchObject({ name: cls.name, message: expect.stringMatching(message) });
      if (err instanceof SandboxUnavailableError) expect(err.cellDidNotRun).toBe(false);
    }
  });

  it('retries throttles and internal errors (call or stream) while no output has arrived, then gives up with a did-not-run error', async () => {
    mockStart();
    mockSetupOk();
    const session = (await sandbox({ invokeRetryDelaysMs: [1, 1] }).start(START_OPTIONS)).session;
    queueInvoke(sdkErrors.throttling(), invokeOutput([{ internalServerException: { message: 'blip' } } as never]), invokeOutput([resultEvent(cellStdout({ stdout: 'ok\n' }))]));
    expect((await session.execute('x', { timeoutMs: 5000 })).stdout).toBe('ok\n');
    expect(invokeQueue).toHaveLength(0);
    queueInvoke(sdkErrors.throttling(), sdkErrors.throttling(), sdkErrors.throttling());
    await expect(session.execute('x', { timeoutMs: 5000 })).rejects.toBeInstanceOf(SandboxThrottledError);
    queueInvoke(...[1, 2, 3].map(() => invokeOutput([{ internalServerException: { message: 'down' } } as never])));
    const err = await session.execute('x', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect((err as SandboxUnavailableError).cellDidNotRun).toBe(true);
    expect(invokeQueue).toHaveLength(0);
  });

  it('maps errors the SDK throws from the call or while iterating the stream', async () => {
    const session = await startedSession();
    queueInvoke(
      invokeOutput([resultEvent('partial')], sdkErrors.throttling()),
      sdkErrors.notFound('Session s-1 not found'),
      sdkErrors.validation('The session has expired'),
      invokeOutput([resultEvent('partial')], Object.assign(new Error('socket hang up'), { name: 'InternalFailure' })),
    );
    await expect(session.execute('x', { timeoutMs: 5000 })).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(session.execute('x', { timeoutMs: 5000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
    await expect(session.execute('x', { timeoutMs: 5000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
    await expect(session.execute('x', { timeoutMs: 5000 })).rejects.toThrow('AgentCore cell failed: InternalFailure: socket hang up');
  });

  it('returns a model-visible stderr when the report marker is missing (kernel died)', async () => {
    const session = await startedSession();
    queueInvoke(invokeOutput([resultEvent('', 'Kernel died unexpectedly\n', true)]));
    const result = await session.execute('import ctypes; ctypes.string_at(0)', { timeoutMs: 5000 });
    expect(result).toMatchObject({ raised: true, timedOut: false, sub: { calls: 0 } });
    expect(result.stderr).toBe(
      'Kernel died unexpectedly\nSandboxError: the sandbox returned no cell report (the Python kernel may have crashed or been restarted) (exit code 1). Variables may be lost; run SHOW_VARS() to check.\n',
    );
  });

  it('treats a kernel without the cell runner (restarted, state gone) as a lost session', async () => {
    const session = await startedSession();
    queueInvoke(invokeOutput([resultEvent('', "NameError: name '_rlm_run_cell' is not defined\n", true)]));
    await expect(session.execute('print(1)', { timeoutMs: 5000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
  });

  it('abandons a call that outlives the limit plus grace: stops the session, reports a timeout, then the session is lost', async () => {
    mockStart();
    mockSetupOk();
    const { session } = await sandbox({ hardTimeoutGraceMs: 50 }).start(START_OPTIONS);
    mock.on(InvokeCodeInterpreterCommand).callsFake(() => new Promise(() => undefined));
    const result = await session.execute('while True: pass', { timeoutMs: 100 });
    expect(result).toMatchObject({ timedOut: true, raised: false });
    expect(result.stderr).toMatch(/^TimeoutError: the cell ran longer than 0.1s and could not be interrupted, so the sandbox session was stopped/);
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand)).toHaveLength(1);
    await expect(session.execute('print(1)', { timeoutMs: 100 })).rejects.toBeInstanceOf(SandboxSessionLostError);
  });
});

describe('AgentCoreSandbox.resume / stop', () => {
  it('resumes a READY session and refuses a TERMINATED or missing one', async () => {
    const sb = sandbox();
    mock.on(GetCodeInterpreterSessionCommand)
      .resolvesOnce({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId: 's-9', createdAt: new Date(), status: 'READY' })
      .resolvesOnce({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId: 's-9', createdAt: new Date(), status: 'TERMINATED' })
      .rejectsOnce(sdkErrors.notFound())
      .rejectsOnce(sdkErrors.throttling());
    expect((await sb.resume('s-9', START_OPTIONS)).sessionId).toBe('s-9');
    expect(mock.commandCalls(GetCodeInterpreterSessionCommand)[0].args[0].input).toEqual({ codeInterpreterIdentifier: 'rlm_ci-AbC123', sessionId: 's-9' });
    await expect(sb.resume('s-9', START_OPTIONS)).rejects.toThrow(new SandboxSessionLostError('AgentCore session s-9 is TERMINATED, not READY'));
    await expect(sb.resume('s-9', START_OPTIONS)).rejects.toBeInstanceOf(SandboxSessionLostError);
    await expect(sb.resume('s-9', START_OPTIONS)).rejects.toBeInstanceOf(SandboxThrottledError);
  });

  it('stops idempotently: a session already gone is not an error', async () => {
    const sb = sandbox();
    mock.on(StopCodeInterpreterSessionCommand)
      .rejectsOnce(sdkErrors.notFound())
      .rejectsOnce(sdkErrors.validation('Session s-1 is already terminated'))
      .rejectsOnce(sdkErrors.accessDenied());
    await expect(sb.stop('s-1')).resolves.toBeUndefined();
    await expect(sb.stop('s-1')).resolves.toBeUndefined();
    await expect(sb.stop('s-1')).rejects.toBeInstanceOf(SandboxError);
  });

  it('closes a session once, after which it is lost', async () => {
    const session = await startedSession();
    await session.close();
    await session.close();
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand)).toHaveLength(1);
    await expect(session.execute('x', { timeoutMs: 1000 })).rejects.toBeInstanceOf(SandboxSessionLostError);
  });
});
