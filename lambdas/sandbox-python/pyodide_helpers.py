
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

    return {'make_backend': make_backend, 'install_sleep': install_sleep, 'add_document': add_document,
            'finish_documents': finish_documents, 'recover': recover}

_rlm_make_helpers()
