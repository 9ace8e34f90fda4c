import type { CellResult, SubCallRecord } from './types';

/** Snake-case JSON report printed by the prelude's `_rlm_run_cell`. */
interface RawCellReport {
  stdout?: string;
  stderr?: string;
  final?: { value: string; variable?: string } | null;
  timed_out?: boolean;
  raised?: boolean;
  duration_ms?: number;
  notices?: string[];
  /** The cap a refused sub-call hit (described), or null. */
  cap_reached?: string | null;
  sub?: {
    calls?: number;
    errors?: number;
    input_tokens?: number;
    output_tokens?: number;
    records?: Array<Record<string, unknown>>;
  };
}

/** Parse the prelude's JSON cell report into a `CellResult`. Throws SyntaxError on malformed JSON. */
export function parseCellReport(json: string): CellResult {
  const raw = JSON.parse(json) as RawCellReport;
  const sub = raw.sub ?? {};
  const records: SubCallRecord[] = (sub.records ?? []).map((r) => ({
    model: String(r.model ?? ''),
    promptChars: Number(r.prompt_chars ?? 0),
    responseChars: Number(r.response_chars ?? 0),
    promptPreview: String(r.prompt_preview ?? ''),
    responsePreview: String(r.response_preview ?? ''),
    inputTokens: Number(r.input_tokens ?? 0),
    outputTokens: Number(r.output_tokens ?? 0),
    durationMs: Number(r.ms ?? 0),
    ...(r.error ? { error: String(r.error) } : {}),
    ...(r.truncated === true ? { truncated: true } : {}),
  }));
  return {
    stdout: raw.stdout ?? '',
    stderr: raw.stderr ?? '',
    ...(raw.final ? { final: raw.final } : {}),
    timedOut: Boolean(raw.timed_out),
    raised: Boolean(raw.raised),
    durationMs: Number(raw.duration_ms ?? 0),
    sub: {
      calls: Number(sub.calls ?? 0),
      errors: Number(sub.errors ?? 0),
      inputTokens: Number(sub.input_tokens ?? 0),
      outputTokens: Number(sub.output_tokens ?? 0),
      records,
    },
    ...(raw.notices && raw.notices.length ? { notices: raw.notices } : {}),
    ...(typeof raw.cap_reached === 'string' && raw.cap_reached ? { capReached: raw.cap_reached } : {}),
  };
}

/** An empty sub-call tally. */
export function emptySubStats(): CellResult['sub'] {
  return { calls: 0, errors: 0, inputTokens: 0, outputTokens: 0, records: [] };
}
