/**
 * AgentCoreSandbox at the SDK boundary (aws-sdk-client-mock): session start (name, timeout, setup script,
 * documents), resume, stop, and their error mapping. Cells: agentcore-session.test.ts. The Python it sends is
 * run for real in agentcore-python.test.ts.
 */
import {
  GetCodeInterpreterSessionCommand,
  InvokeCodeInterpreterCommand,
  ListCodeInterpreterSessionsCommand,
  StartCodeInterpreterSessionCommand,
  StopCodeInterpreterSessionCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import { LAMBDA_MAX_TIMEOUT_SECONDS, sessionNameFor, sessionTimeoutForRun } from '../../lambdas/adapters/agentcore';
import { ConfigError, DocumentError, SandboxError, SandboxSessionLostError, SandboxThrottledError } from '../../lambdas/core/errors';
import { PYTHON_PRELUDE } from '../../lambdas/core/prelude.py';
import { invokeOutput, resultEvent, sdkErrors } from './agentcore/stream-fixtures';
import { embeddedConfig, installInvokeQueue, mock, mockSetupOk, mockStart, queueInvoke, sandbox, START_OPTIONS, startedSession } from './agentcore/sandbox-harness';

installInvokeQueue();

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

  it("gives each run's session its own budget from the start options' maxIterations, capped by the configured timeout", async () => {
    for (const [maxIterations, expected] of [[1, 2_700], [2, 3_600], [30, 3_600], [undefined, 3_600]] as const) {
      mockStart();
      mockSetupOk();
      await sandbox().start({ ...START_OPTIONS, ...(maxIterations === undefined ? {} : { maxIterations }) });
      expect([maxIterations, mock.commandCalls(StartCodeInterpreterSessionCommand).at(-1)!.args[0].input.sessionTimeoutSeconds]).toEqual([maxIterations, expected]);
    }
  });

  it('rejects a session timeout beyond AgentCore limits', () => {
    expect(() => sandbox({ sessionTimeoutSeconds: 28_801 })).toThrow(ConfigError);
    expect(() => sandbox({ sessionTimeoutSeconds: 30 })).toThrow(ConfigError);
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
