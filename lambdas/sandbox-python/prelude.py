# The prelude every sandbox session runs first: state, capture, FINAL, protected names and the cell
# runner. The sub-call functions (llm_query, llm_query_batched, the budget checks) are in
# prelude_subcalls.py, which runs right after this file in the same namespace (PYTHON_PRELUDE is both).

import ast as _rlm_ast
import io as _rlm_io
import json as _rlm_json
import linecache as _rlm_linecache
import signal as _rlm_signal
import sys as _rlm_sys
import threading as _rlm_threading
import time as _rlm_time
import traceback as _rlm_traceback
import types as _rlm_types

_RLM = {
    'sub_model': None,
    'concurrency': 16,
    'capture': 1000000,
    'cell': None,
    'protected': {},
    'cell_no': 0,
}
_RLM_PREVIEW = 200


class _RlmCellTimeout(BaseException):
    """Raised inside a cell when it exceeds its time limit."""


class _RlmBoundedWriter(_rlm_io.TextIOBase):
    """Keeps the first and last half of a capped amount of text, counting what is dropped."""

    def __init__(self, cap):
        self.cap = max(int(cap), 2)
        self.head = []
        self.head_len = 0
        self.tail = []
        self.tail_len = 0
        self.total = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            s = str(s)
        n = len(s)
        self.total += n
        half = self.cap // 2
        if self.head_len < half:
            take = s[: half - self.head_len]
            self.head.append(take)
            self.head_len += len(take)
            s = s[len(take):]
        if s:
            self.tail.append(s)
            self.tail_len += len(s)
            if self.tail_len > 2 * half:
                joined = ''.join(self.tail)[-half:]
                self.tail = [joined]
                self.tail_len = len(joined)
        return n

    def getvalue(self):
        head = ''.join(self.head)
        tail = ''.join(self.tail)
        half = self.cap // 2
        if len(tail) > half:
            tail = tail[-half:]
        dropped = self.total - len(head) - len(tail)
        if dropped > 0:
            return head + '\n[... ' + format(dropped, ',') + ' characters not captured by the sandbox ...]\n' + tail
        return head + tail


def FINAL(value):
    """Finish the run with this answer (converted to str)."""
    cell = _RLM['cell']
    if cell is not None:
        cell['final'] = {'value': value if isinstance(value, str) else str(value)}
    print('[FINAL answer recorded: ' + format(len(str(value)), ',') + ' characters]')


def FINAL_VAR(name):
    """Finish the run with the value of the variable called name (a string)."""
    if not isinstance(name, str):
        FINAL(name)
        return
    ns = _rlm_sys.modules['__main__'].__dict__
    key = name.strip().strip('"').strip("'")
    if key not in ns:
        raise NameError('FINAL_VAR: no variable named ' + repr(key) + '; define it first, or call FINAL(value)')
    value = ns[key]
    cell = _RLM['cell']
    if cell is not None:
        cell['final'] = {'value': value if isinstance(value, str) else str(value), 'variable': key}
    print('[FINAL answer recorded from variable ' + key + ': ' + format(len(str(value)), ',') + ' characters]')


def SHOW_VARS():
    """Print the variables you have defined, with their types and sizes."""
    ns = _rlm_sys.modules['__main__'].__dict__
    rows = []
    for k, v in ns.items():
        if k.startswith('_') or k in _RLM['protected'] or isinstance(v, _rlm_types.ModuleType):
            continue
        if callable(v) and getattr(v, '__module__', None) != '__main__':
            continue
        size = ''
        try:
            size = ' len=' + format(len(v), ',')
        except Exception:
            pass
        rows.append('  ' + k + ': ' + type(v).__name__ + size)
    print('Variables:\n' + ('\n'.join(rows) if rows else '  (none yet)'))
    print('Always available: context (str), documents (name -> text), llm_query, llm_query_batched, FINAL, FINAL_VAR, SHOW_VARS')


# Names the model may use but not replace: the functions it calls, its data, and the prelude's own
# internals (so a cell cannot swap the runner or the backend for the next cell). Shadows of builtins
# the cell invocation itself uses are removed after each cell.
_RLM_PUBLIC = ('llm_query', 'llm_query_batched', 'FINAL', 'FINAL_VAR', 'SHOW_VARS', 'context', 'documents')
_RLM_INTERNAL = ('_RLM', '_rlm_run_cell', '_rlm_exec', '_rlm_backend', '_rlm_record', '_rlm_cap_hit', '_rlm_chunk_size',
                 '_rlm_restore', '_rlm_protect', '_rlm_set_documents', '_rlm_configure', '_rlm_cell_frames', '_RlmBoundedWriter')
_RLM_SHADOWED_BUILTINS = ('print', '__import__')


def _rlm_protect(_state=_RLM):
    ns = _rlm_sys.modules['__main__'].__dict__
    for k in _RLM_PUBLIC + _RLM_INTERNAL:
        if k in ns:
            _state['protected'][k] = ns[k]


def _rlm_restore(_state=_RLM):
    """Put protected names back and drop shadows of builtins; returns the public names restored (the
    model is told about those) followed by any internal ones."""
    ns = _rlm_sys.modules['__main__'].__dict__
    restored = []
    for k, v in _state['protected'].items():
        if ns.get(k) is not v:
            ns[k] = v
            restored.append(k)
    for k in _RLM_SHADOWED_BUILTINS:
        if k in ns:
            del ns[k]
            restored.append(k)
    return restored


def _rlm_set_documents(docs):
    """Install documents (dict name -> text) as 'documents' (read-only mapping) and 'context'."""
    ns = _rlm_sys.modules['__main__'].__dict__
    names = list(docs.keys())
    if len(names) == 1:
        ctx = docs[names[0]]
    else:
        # One join over headers, texts and separators: `header + text` per document would copy every
        # document once more before the join (at 100M characters that is the whole context again).
        # The layout is described host-side by lambdas/core/context-layout.ts: keep both in step.
        pieces = []
        for i, n in enumerate(names):
            t = docs[n]
            if i:
                pieces.append('\n\n')
            pieces.append('===== DOCUMENT ' + str(i + 1) + '/' + str(len(names)) + ': ' + n + ' (' + format(len(t), ',') + ' chars) =====\n')
            pieces.append(t)
        ctx = ''.join(pieces)
    ns['documents'] = _rlm_types.MappingProxyType(dict(docs))
    ns['context'] = ctx
    _rlm_protect()
    return len(ctx)


def _rlm_configure(sub_model, concurrency, capture):
    _RLM['sub_model'] = sub_model
    _RLM['concurrency'] = int(concurrency)
    _RLM['capture'] = int(capture)
    _rlm_protect()


def _rlm_cell_frames(tb):
    while tb is not None and tb.tb_frame.f_code.co_filename != '<cell>':
        tb = tb.tb_next
    return tb


def _rlm_exec(code, ns):
    tree = _rlm_ast.parse(code, '<cell>', 'exec')
    last = None
    if tree.body and isinstance(tree.body[-1], _rlm_ast.Expr):
        last = _rlm_ast.Expression(tree.body.pop().value)
    exec(compile(tree, '<cell>', 'exec'), ns)
    if last is not None:
        value = eval(compile(last, '<cell>', 'eval'), ns)
        if value is not None:
            print(repr(value))


def _rlm_run_cell(code, timeout_s=0, limit_s=None, budget=None, journal=None):
    """Run one cell in __main__'s namespace and return a JSON report. timeout_s arms SIGALRM (0 = the
    host interrupts instead); limit_s is the limit named in the timeout message (default timeout_s).
    budget (dict or None): what the run may still spend, enforced at each sub-call: calls, tokens,
    cost_usd (None = no cap), allowed_models (list), prices ({model: {input, output}} USD per 1M).
    journal (str or None): keep the cell's tally and report in the session under this key (prelude_journal.py)."""
    _RLM['cell_no'] += 1
    cell = {'final': None, 'sub': {'calls': 0, 'errors': 0, 'input_tokens': 0, 'output_tokens': 0, 'records': []},
            'budget': budget if isinstance(budget, dict) else None, 'cost_usd': 0.0, 'cap_reached': None}
    _RLM['cell'] = cell
    _rlm_journal_open(journal, cell)
    ns = _rlm_sys.modules['__main__'].__dict__
    _rlm_linecache.cache['<cell>'] = (len(code), None, code.splitlines(True), '<cell>')
    out = _RlmBoundedWriter(_RLM['capture'])
    err = _RlmBoundedWriter(_RLM['capture'])
    saved = (_rlm_sys.stdout, _rlm_sys.stderr)
    timed_out = False
    raised = False
    alarm = False
    t0 = _rlm_time.time()
    _rlm_sys.stdout, _rlm_sys.stderr = out, err
    try:
        if timeout_s and timeout_s > 0 and hasattr(_rlm_signal, 'setitimer') and _rlm_threading.current_thread() is _rlm_threading.main_thread():
            def _on_alarm(signum, frame):
                raise _RlmCellTimeout()
            _rlm_signal.signal(_rlm_signal.SIGALRM, _on_alarm)
            _rlm_signal.setitimer(_rlm_signal.ITIMER_REAL, float(timeout_s))
            alarm = True
        _rlm_exec(code, ns)
    except (_RlmCellTimeout, KeyboardInterrupt):
        timed_out = True
    except BaseException as e:
        raised = True
        tb = _rlm_cell_frames(e.__traceback__)
        err.write(''.join(_rlm_traceback.format_exception(type(e), e, tb)))
    finally:
        if alarm:
            try:
                _rlm_signal.setitimer(_rlm_signal.ITIMER_REAL, 0)
            except BaseException:
                pass
        _rlm_sys.stdout, _rlm_sys.stderr = saved
        _RLM['cell'] = None
    elapsed = _rlm_time.time() - t0
    if timed_out:
        shown = limit_s if limit_s else timeout_s
        limit = format(shown, 'g') + 's' if shown else 'its time limit'
        err.write('TimeoutError: the cell ran longer than ' + limit + ' and was interrupted. '
                  'Variables assigned before the interruption are kept; split the work into smaller steps.\n')
    restored = _rlm_restore()
    notices = []
    if restored:
        notices.append('Restored built-in names your code overwrote: ' + ', '.join(restored) + '. Use other variable names.')
    report = _rlm_json.dumps({
        'stdout': out.getvalue(),
        'stderr': err.getvalue(),
        'final': cell['final'],
        'timed_out': timed_out,
        'raised': raised,
        'duration_ms': int(elapsed * 1000),
        'sub': cell['sub'],
        'notices': notices,
        'cap_reached': cell['cap_reached'],
    })
    _rlm_journal_close(journal, report)
    return report
