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
 * `_rlm_backend(prompts: list[str], model: str) -> list[dict]` where each dict has
 * `text`, `error` (str or None), `input_tokens`, `output_tokens`, `ms`.
 */
export { PYTHON_PRELUDE } from '../sandbox-python/generated';

/** Marker an adapter prints before the JSON report when it reads the report from stdout (AgentCore). */
export const CELL_REPORT_MARKER = '__RLM_CELL_REPORT__';

/**
 * Python source that runs `code` as one cell and evaluates to (Pyodide) the JSON report string.
 * `timeoutSeconds` arms SIGALRM inside the sandbox (0 when the host interrupts instead);
 * `limitSeconds` is the limit the timeout message names (default `timeoutSeconds`).
 */
export function cellInvocation(code: string, timeoutSeconds: number, limitSeconds?: number): string {
  const b64 = Buffer.from(code, 'utf8').toString('base64');
  const limit = limitSeconds === undefined ? '' : `, ${Number(limitSeconds) || 0}`;
  return `_rlm_run_cell(__import__('base64').b64decode('${b64}').decode('utf-8'), ${Number(timeoutSeconds) || 0}${limit})`;
}

/** Python source that runs `code` as one cell and prints the report after `CELL_REPORT_MARKER` (AgentCore). */
export function printedCellInvocation(code: string, timeoutSeconds: number): string {
  return `print(${JSON.stringify(CELL_REPORT_MARKER)} + ${cellInvocation(code, timeoutSeconds)})`;
}
