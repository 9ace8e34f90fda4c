/**
 * Python the Pyodide worker runs besides the core prelude: private helpers (sub-call backend factory,
 * document decoding) and the lockdown that keeps model code away from the JavaScript side.
 *
 * Both run in their own globals dict, not in `__main__`, so model code does not see them by name.
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
export const HELPERS_PY = String.raw`
def _rlm_make_helpers():
    import json as _json
    import sys as _sys
    pending = {}

    def make_backend(call):
        def _rlm_backend(prompts, model):
            raw = call(_json.dumps({'prompts': list(prompts), 'model': model}))
            if raw is None:
                raise KeyboardInterrupt('interrupted while waiting for a sub-call')
            return _json.loads(raw)
        return _rlm_backend

    def install_sleep(js_sleep):
        import time

        def sleep(secs):
            if isinstance(secs, bool) or not isinstance(secs, (int, float)):
                raise TypeError("'" + type(secs).__name__ + "' object cannot be interpreted as a number")
            if secs < 0:
                raise ValueError('sleep length must be non-negative')
            if not js_sleep(float(secs) * 1000.0):
                raise KeyboardInterrupt('interrupted during time.sleep')
        sleep.__doc__ = time.sleep.__doc__
        time.sleep = sleep

    def install_final(js_final):
        ns = _sys.modules['__main__'].__dict__
        orig_final, orig_final_var = ns['FINAL'], ns['FINAL_VAR']

        def FINAL(value):
            text = value if isinstance(value, str) else str(value)
            orig_final(text)
            js_final(text, None)

        def FINAL_VAR(name):
            if not isinstance(name, str):
                FINAL(name)
                return
            orig_final_var(name)
            key = name.strip().strip('"').strip("'")
            value = _sys.modules['__main__'].__dict__[key]
            js_final(value if isinstance(value, str) else str(value), key)

        FINAL.__doc__, FINAL_VAR.__doc__ = orig_final.__doc__, orig_final_var.__doc__
        ns['FINAL'], ns['FINAL_VAR'] = FINAL, FINAL_VAR
        ns['_rlm_protect']()
        # The host's ledger is the only sub-call accounting here; the prelude's in-sandbox tally is not read.
        ns['_rlm_record'] = lambda prompt, model, res: None

    def add_document(name, buf):
        data = buf.to_bytes()
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError as e:
            return 'is not valid UTF-8 text (invalid byte at offset ' + format(e.start, ',') + ': ' + e.reason + ')'
        finally:
            del data
        pending[name] = text
        return None

    def finish_documents(preview_chars):
        ns = _sys.modules['__main__'].__dict__
        names = list(pending)
        docs = [{'name': n, 'chars': len(pending[n])} for n in names]
        total = ns['_rlm_set_documents'](dict(pending))
        pending.clear()
        return _json.dumps({'docs': docs, 'total': total, 'preview': ns['context'][:int(preview_chars)]})

    def recover():
        ns = _sys.modules['__main__'].__dict__
        _sys.stdout, _sys.stderr = _sys.__stdout__, _sys.__stderr__
        state = ns.get('_RLM')
        if isinstance(state, dict):
            state['cell'] = None
        restore = ns.get('_rlm_restore')
        if callable(restore):
            restore()

    return {'make_backend': make_backend, 'install_sleep': install_sleep, 'install_final': install_final, 'add_document': add_document,
            'finish_documents': finish_documents, 'recover': recover}

_rlm_make_helpers()
`;

/** Top-level module names model code may not import (the JS bridge, Pyodide internals, package installs). */
export const BLOCKED_MODULES = ['js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip'];

/**
 * Evaluates to `lockdown(blocked_roots)`: drops references to JavaScript objects from every loaded
 * module, removes the blocked modules from `sys.modules` and the JS import finder from `sys.meta_path`,
 * puts an import blocker first on `sys.meta_path`, and leaves a minimal `os.environ`. Casual use (`import js`, `pyfetch`, `micropip`)
 * fails; Python introspection (gc, `__globals__` of Pyodide internals) can still reach the objects.
 */
export const LOCKDOWN_PY = String.raw`
def _rlm_lockdown(blocked_roots):
    import sys
    roots = tuple(blocked_roots)

    def is_blocked(name):
        return any(name == r or name.startswith(r + '.') for r in roots)

    from pyodide.ffi import JsProxy

    class _RlmImportBlocker:
        def find_spec(self, name, path=None, target=None):
            if is_blocked(name):
                raise ModuleNotFoundError('No module named ' + repr(name) + ' (not available in this sandbox)', name=name)
            return None

    for mod in list(sys.modules.values()):
        d = getattr(mod, '__dict__', None)
        if isinstance(d, dict):
            for k in [k for k, v in d.items() if isinstance(v, JsProxy)]:
                del d[k]
    for name in [n for n in sys.modules if is_blocked(n)]:
        del sys.modules[name]
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != 'JsFinder']
    sys.meta_path.insert(0, _RlmImportBlocker())
    sys.path_importer_cache.clear()
    import os
    os.environ.clear()
    os.environ.update({'HOME': '/home/pyodide', 'PATH': '/', 'LANG': 'C.UTF-8', 'USER': 'sandbox'})

_rlm_lockdown
`;
