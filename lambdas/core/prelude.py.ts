/**
 * The Python prelude installed in every sandbox session (Pyodide locally, AgentCore on AWS). Its source is
 * lambdas/sandbox-python/prelude.py (embedded by `npm run gen:python`); this module adds the cell invocations.
 *
 * It defines the functions the model uses (`llm_query`, `llm_query_batched`, `FINAL`, `FINAL_VAR`,
 * `SHOW_VARS`) and the cell runner `_rlm_run_cell`, which executes one cell with bounded stdout/stderr
 * capture, an optional SIGALRM time limit, last-expression echo, tracebacks trimmed to the cell, and
 * restoration of the protected names afterwards. It returns one JSON report per cell.
 *
 * Each adapter supplies the sub-call backend by assigning
 * `_rlm_backend(prompts: list[str], model: str) -> list[dict]` **before** calling `_rlm_configure` /
 * `_rlm_set_documents` (they protect it with the other prelude names: a cell that replaces it gets the
 * original back when it ends), where each dict has
 * `text`, `error` (str or None), `input_tokens`, `output_tokens`, `ms`, and optionally `truncated`
 * (the reply stopped at the output-token limit).
 */
import type { SubCallBudget } from './ports';

export { PYTHON_PRELUDE } from '../sandbox-python/generated';

/** Marker an adapter prints before the JSON report when it reads the report from stdout (AgentCore). */
export const CELL_REPORT_MARKER = '__RLM_CELL_REPORT__';

/** Base64 of the UTF-8 of `text` (safe inside a Python string literal). */
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The budget as the prelude's `_rlm_run_cell(..., budget=)` dict (snake_case JSON). */
export function pythonBudget(budget: SubCallBudget): Record<string, unknown> {
  return {
    calls: budget.calls ?? null,
    tokens: budget.tokens ?? null,
    cost_usd: budget.costUsd ?? null,
    allowed_models: budget.allowedModels,
    prices: budget.prices ?? {},
  };
}

/**
 * Python source that runs `code` as one cell and evaluates to (Pyodide) the JSON report string.
 * `timeoutSeconds` arms SIGALRM inside the sandbox (0 when the host interrupts instead);
 * `limitSeconds` is the limit the timeout message names (default `timeoutSeconds`); `budget`, when
 * given, is enforced by the prelude at each sub-call (defence in depth behind the host's own checks);
 * `journalKey` keeps the cell's tally and report in the session's cell journal (prelude_journal.py).
 * Outside values reach Python only as base64 characters (the key: letters, digits, `_`, `-`).
 */
export function cellInvocation(code: string, timeoutSeconds: number, limitSeconds?: number, budget?: SubCallBudget, journalKey?: string): string {
  const args = [`__import__('base64').b64decode('${b64(code)}').decode('utf-8')`, String(Number(timeoutSeconds) || 0)];
  const rest = [
    limitSeconds === undefined ? 'None' : String(Number(limitSeconds) || 0),
    budget ? `__import__('json').loads(__import__('base64').b64decode('${b64(JSON.stringify(pythonBudget(budget)))}').decode('utf-8'))` : 'None',
    journalKey ? JSON.stringify(safeKey(journalKey)) : 'None',
  ];
  while (rest.length && rest[rest.length - 1] === 'None') rest.pop();
  return `_rlm_run_cell(${[...args, ...rest].join(', ')})`;
}

/** A journal key or nonce as it may appear in Python source: letters, digits, `_` and `-` only. */
const safeKey = (key: string) => key.replace(/[^0-9A-Za-z_-]/g, '');

/**
 * Python source that runs `code` as one cell and prints the report after `CELL_REPORT_MARKER` + `nonce`
 * (AgentCore). The host picks a fresh random nonce per cell and accepts only the line carrying it, so
 * text the cell prints (documents, sub-model replies) cannot pass for the report; see
 * docs/agentcore-sandbox.md for what hostile code can still forge.
 */
export function printedCellInvocation(code: string, timeoutSeconds: number, options: { budget?: SubCallBudget; nonce?: string; journalKey?: string } = {}): string {
  const nonce = (options.nonce ?? '').replace(/[^0-9A-Za-z]/g, '');
  return `print(${JSON.stringify(CELL_REPORT_MARKER + nonce)} + ${cellInvocation(code, timeoutSeconds, undefined, options.budget, options.journalKey)})`;
}

/** Marker of the line {@link printedJournalRead} prints (then the nonce, then `STATE:PAYLOAD`). */
export const JOURNAL_REPORT_MARKER = '__RLM_JOURNAL__';

/**
 * Python source that prints what the session's cell journal (lambdas/sandbox-python/prelude_journal.py) knows of
 * the cell run with `journalKey`, waiting up to `waitSeconds` for it to finish, after `JOURNAL_REPORT_MARKER` +
 * `nonce`: `done:<report JSON>`, `running:<{"sub": tally} JSON>` or `absent:`.
 */
export function printedJournalRead(journalKey: string, waitSeconds: number, nonce: string): string {
  const marker = JOURNAL_REPORT_MARKER + nonce.replace(/[^0-9A-Za-z]/g, '');
  return `print(${JSON.stringify(marker)} + _rlm_journal_read(${JSON.stringify(safeKey(journalKey))}, ${Math.max(0, Number(waitSeconds) || 0)}))`;
}
