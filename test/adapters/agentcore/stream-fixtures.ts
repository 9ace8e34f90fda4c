/**
 * Test helpers: InvokeCodeInterpreter responses shaped like the SDK's (an async-iterable `stream` of
 * `CodeInterpreterStreamOutput` events), and SDK exceptions built from the client's own classes.
 */
import {
  AccessDeniedException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
  type CodeInterpreterStreamOutput,
  type InvokeCodeInterpreterCommandOutput,
} from '@aws-sdk/client-bedrock-agentcore';
import { CELL_REPORT_MARKER } from '../../../lambdas/core/prelude.py';
import { SETUP_REPORT_MARKER } from '../../../lambdas/adapters/agentcore';

/** The cell nonce the mocked tests pin (`cellNonce: () => TEST_NONCE`); real sessions use a random one. */
export const TEST_NONCE = 'n0nce';

const meta = { $metadata: { httpStatusCode: 400, requestId: 'req-1' } };

/** SDK exceptions as the client throws them (class, `name`, `$fault`, `$metadata`). */
export const sdkErrors = {
  throttling: (message = 'Rate exceeded') => new ThrottlingException({ message, ...meta }),
  quota: (message = 'Too many concurrent sessions') => new ServiceQuotaExceededException({ message, ...meta }),
  notFound: (message = 'Session not found') => new ResourceNotFoundException({ message, ...meta }),
  accessDenied: (message = 'not authorized') => new AccessDeniedException({ message, ...meta }),
  validation: (message: string) => new ValidationException({ message, reason: 'FieldValidationFailed', ...meta }),
};

/** One `result` event with structured stdout/stderr, like executeCode returns. */
export function resultEvent(stdout: string, stderr = '', isError = false): CodeInterpreterStreamOutput {
  return {
    result: {
      content: [{ type: 'text', text: stdout + stderr }],
      structuredContent: { stdout, stderr, exitCode: isError ? 1 : 0, executionTime: 0.042 },
      isError,
    },
  };
}

/** An InvokeCodeInterpreter output whose stream yields `events`, then throws `throwAfter` if given. */
export function invokeOutput(events: CodeInterpreterStreamOutput[], throwAfter?: unknown): InvokeCodeInterpreterCommandOutput {
  return {
    sessionId: 's-1',
    stream: (async function* () {
      for (const e of events) yield e;
      if (throwAfter !== undefined) throw throwAfter;
    })(),
    $metadata: { httpStatusCode: 200 },
  };
}

/** Stdout of a successful setup cell. */
export function setupStdout(documents: Array<{ name: string; chars: number }>, preview: string, totalChars: number): string {
  return `${SETUP_REPORT_MARKER}${JSON.stringify({ ok: true, documents, total_chars: totalChars, preview })}\n`;
}

/** Stdout of a cell: the prelude's JSON report after the marker (snake_case, as Python prints it). */
export function cellStdout(report: Record<string, unknown>, before = ''): string {
  const full = {
    stdout: '',
    stderr: '',
    final: null,
    timed_out: false,
    raised: false,
    duration_ms: 5,
    sub: { calls: 0, errors: 0, input_tokens: 0, output_tokens: 0, records: [] },
    notices: [],
    ...report,
  };
  return `${before}${CELL_REPORT_MARKER}${TEST_NONCE}${JSON.stringify(full)}\n`;
}
