/**
 * Python the Pyodide worker runs besides the core prelude: private helpers (sub-call backend factory,
 * document decoding) and the lockdown that keeps model code away from the JavaScript side.
 *
 * Their sources are lambdas/sandbox-python/pyodide_helpers.py and pyodide_lockdown.py (embedded by
 * `npm run gen:python`). Both run in their own globals dict, not in `__main__`, so model code does not see them by name.
 */

/**
 * Evaluates to a dict of helper functions:
 * - `make_backend(call)`: wraps the host-call JS function as `_rlm_backend(prompts, model)`; a `None`
 *   reply means the cell was interrupted while waiting, so it raises `KeyboardInterrupt`.
 * - `install_sleep(js_sleep)`: replaces `time.sleep` (Pyodide's busy-waits and cannot be interrupted)
 *   with one that blocks in `Atomics.wait` slices and raises `KeyboardInterrupt` on the interrupt.
 * - `install_final(js_final)`: wraps `FINAL` / `FINAL_VAR` in `__main__` so the answer also goes to the host
 *   out of band (the host trusts only that, never the cell report's `final`), and turns the prelude's
 *   in-sandbox sub-call tally (`_rlm_record`) off: the host's ledger counts the calls.
 * - `add_document(name, buf)`: decodes a JS `Uint8Array` as strict UTF-8; returns an error string or None.
 * - `finish_documents(preview_chars)`: calls the prelude's `_rlm_set_documents` and returns JSON
 *   `{docs: [{name, chars}], total, preview}` with Python character counts.
 * - `recover()`: puts stdout/stderr and the protected names back after an interrupt escaped the prelude.
 */
export { HELPERS_PY } from '../../sandbox-python/generated';

/** Top-level module names model code may not import (the JS bridge, Pyodide internals, package installs). */
export const BLOCKED_MODULES = ['js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip'];

/**
 * Evaluates to `lockdown(blocked_roots)`: drops references to JavaScript objects from every loaded
 * module, removes the blocked modules from `sys.modules` and the JS import finder from `sys.meta_path`,
 * puts an import blocker first on `sys.meta_path`, and leaves a minimal `os.environ`. Casual use (`import js`, `pyfetch`, `micropip`)
 * fails; Python introspection (gc, `__globals__` of Pyodide internals) can still reach the objects.
 */
export { LOCKDOWN_PY } from '../../sandbox-python/generated';

/**
 * Evaluates to `_rlm_make_reset(report_taint)`: `capture()` saves the interpreter's state after the lockdown
 * (without the documents), `reset()` puts it back between the runs of a reusable session and returns
 * `(clean, why)`; its audit hook reports introspection that could reach past the reset.
 */
export { RESET_PY } from '../../sandbox-python/generated';
