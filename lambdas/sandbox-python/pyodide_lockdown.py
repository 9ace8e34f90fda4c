
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
