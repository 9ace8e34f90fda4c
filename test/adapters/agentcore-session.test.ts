/**
 * AgentCoreSession at the SDK boundary (aws-sdk-client-mock): a cell sent with printedCellInvocation, its event
 * stream consumed, its report parsed, every failure mapped to a named sandbox error, a stuck call abandoned.
 * Session start/resume/stop: agentcore-sandbox.test.ts.
 */
import { GetCodeInterpreterSessionCommand, InvokeCodeInterpreterCommand, StopCodeInterpreterSessionCommand } from '@aws-sdk/client-bedrock-agentcore';
import { SandboxError, SandboxSessionLostError, SandboxThrottledError, SandboxUnavailableError } from '../../lambdas/core/errors';
import { CELL_REPORT_MARKER, JOURNAL_REPORT_MARKER, printedCellInvocation, printedJournalRead } from '../../lambdas/core/prelude.py';
import { cellStdout, invokeOutput, resultEvent, sdkErrors, TEST_NONCE } from './agentcore/stream-fixtures';
import { installInvokeQueue, invokeQueue, mock, mockSetupOk, mockStart, queueInvoke, sandbox, START_OPTIONS, startedSession } from './agentcore/sandbox-harness';

installInvokeQueue();

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

  it('sends the journal key with the cell so the session keeps its report', async () => {
    const session = await startedSession();
    queueInvoke(invokeOutput([resultEvent(cellStdout({}))]));
    await session.execute('x = 1', { timeoutMs: 5000, journalKey: 't3c2' });
    const code = String(mock.commandCalls(InvokeCodeInterpreterCommand).at(-1)!.args[0].input.arguments?.code);
    expect(code).toBe(printedCellInvocation('x = 1', 5, { nonce: TEST_NONCE, journalKey: 't3c2' }));
    expect(code).toMatch(/, None, None, "t3c2"\)\)$/);
  });
});

describe('AgentCoreSandbox.recoverCell (the session journal)', () => {
  const journalLine = (payload: string) => `${JOURNAL_REPORT_MARKER}${TEST_NONCE}${payload}\n`;

  it('reads the journal in one cell (no GetCodeInterpreterSession first) and parses done, running and absent', async () => {
    const sb = sandbox();
    const report = { stdout: 'late\n', final: { value: '7' }, sub: { calls: 3, input_tokens: 9, records: [] } };
    queueInvoke(
      invokeOutput([resultEvent(`noise\n${journalLine(`done:${JSON.stringify(report)}`)}`)]),
      invokeOutput([resultEvent(journalLine('running:{"sub": {"calls": 2, "errors": 1, "input_tokens": 4, "output_tokens": 1, "records": []}}'))]),
      invokeOutput([resultEvent(journalLine('absent:'))]),
    );
    expect(await sb.recoverCell('s-1', 't4c1', { waitMs: 2500 })).toEqual({
      state: 'done', result: expect.objectContaining({ stdout: 'late\n', final: { value: '7' }, sub: expect.objectContaining({ calls: 3, inputTokens: 9 }) }),
    });
    const sent = mock.commandCalls(InvokeCodeInterpreterCommand).at(-1)!.args[0].input.arguments?.code;
    expect(sent).toBe(printedJournalRead('t4c1', 2.5, TEST_NONCE));
    expect(mock.commandCalls(InvokeCodeInterpreterCommand).at(-1)!.args[0].input.sessionId).toBe('s-1');
    expect(mock.commandCalls(GetCodeInterpreterSessionCommand)).toHaveLength(0);
    expect(await sb.recoverCell('s-1', 't4c1', { waitMs: 0 })).toEqual({ state: 'running', sub: { calls: 2, errors: 1, inputTokens: 4, outputTokens: 1, records: [] } });
    expect(await sb.recoverCell('s-1', 't4c1', { waitMs: 0 })).toEqual({ state: 'absent' });
  });

  it('cannot tell (undefined) without its line, with a bad payload, a lost session or no answer in time; throttles are thrown', async () => {
    mockStart();
    const sb = sandbox({ hardTimeoutGraceMs: 20, invokeRetryDelaysMs: [] });
    queueInvoke(
      invokeOutput([resultEvent('', "NameError: name '_rlm_journal_read' is not defined\n", true)]),
      invokeOutput([resultEvent(journalLine('done:{not json'))]),
      sdkErrors.notFound('Session s-1 not found'),
      sdkErrors.throttling(),
    );
    expect(await sb.recoverCell('s-1', 't1c1', { waitMs: 0 })).toBeUndefined();
    expect(await sb.recoverCell('s-1', 't1c1', { waitMs: 0 })).toBeUndefined();
    expect(await sb.recoverCell('s-1', 't1c1', { waitMs: 0 })).toBeUndefined();
    await expect(sb.recoverCell('s-1', 't1c1', { waitMs: 0 })).rejects.toBeInstanceOf(SandboxThrottledError);
    mock.on(InvokeCodeInterpreterCommand).callsFake(() => new Promise(() => undefined));
    expect(await sb.recoverCell('s-1', 't1c1', { waitMs: 30 })).toBeUndefined();
    expect(mock.commandCalls(StopCodeInterpreterSessionCommand)).toHaveLength(0); // reading never stops the session
  });
});
