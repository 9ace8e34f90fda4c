
def _rlm_make_helpers():
    import json as _json
    import sys as _sys
    pending = {}

    def make_backend(call):
        dumps, loads = _json.dumps, _json.loads

        def _rlm_backend(prompts, model):
            # One prompt (every llm_query) skips JSON: '<len(model)>:<model><prompt>' (parseSubRequest in
            # sub-calls.ts). Only for an ASCII model ID, whose len() is also its length in JavaScript.
            if len(prompts) == 1 and type(model) is str and model.isascii() and type(prompts[0]) is str:
                raw = call(str(len(model)) + ':' + model + prompts[0])
            else:
                raw = call(dumps({'prompts': list(prompts), 'model': model}))
            if raw is None:
                raise KeyboardInterrupt('interrupted while waiting for a sub-call')
            return loads(raw)
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
        # FINAL / FINAL_VAR also send the answer to the host out of band (the host trusts only that,
        # never the cell report's `final`).
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
        # The host's ledger is the only sub-call accounting here; the prelude's in-sandbox tally is not read.
        ns['_rlm_record'] = lambda prompt, model, res: None
        ns['_rlm_protect']()

    def decode_utf8(data):
        # (text, None), or (None, why not) for bytes that are not UTF-8.
        try:
            return data.decode('utf-8'), None
        except UnicodeDecodeError as e:
            return None, 'is not valid UTF-8 text (invalid byte at offset ' + format(e.start, ',') + ': ' + e.reason + ')'

    def add_document(name, buf):
        text, problem = decode_utf8(buf.to_bytes())
        if problem is not None:
            return problem
        pending[name] = text
        return None

    def reserve_ascii(name, size):
        # A document the host found to be all ASCII (as many code points as bytes) is read by the worker
        # straight into the data of a new str: one copy of it in the interpreter's heap, never bytes and
        # then a decoded str. Returns the address of the str's data (CPython's id is the object's address;
        # a compact ASCII str keeps its data right after its header) or None when that layout is not there.
        # The worker checks the reserved bytes are the spaces below before it writes, and that what it
        # wrote is ASCII with no NUL; anything else is dropped with `drop_document`.
        size = int(size)
        if size < 2:
            return None
        text = ' ' * size
        if not text.isascii() or len(text) != size:
            return None
        pending[name] = text
        return id(text) + _sys.getsizeof(text) - size - 1

    def reserve_bytes(name, size):
        # Any other document: a buffer the worker reads the file into (a view of it, no JavaScript copy);
        # `adopt_bytes` decodes it and frees it.
        buf = bytearray(int(size))
        pending[name] = buf
        return buf

    def adopt_bytes(name, chars):
        text, problem = decode_utf8(pending.pop(name))
        if problem is not None:
            return problem
        if len(text) != int(chars):
            return 'changed since it was checked (' + format(len(text), ',') + ' characters, ' + format(int(chars), ',') + ' expected)'
        pending[name] = text
        return None

    def drop_document(name):
        pending.pop(name, None)

    def finish_documents(preview_chars):
        ns = _sys.modules['__main__'].__dict__
        names = list(pending)
        docs = [{'name': n, 'chars': len(pending[n])} for n in names]
        total = ns['_rlm_set_documents'](dict(pending))
        pending.clear()
        return _json.dumps({'docs': docs, 'total': total, 'preview': ns['context'][:int(preview_chars)]})

    def warm_up(rounds):
        # After a boot from the memory snapshot V8 runs CPython's WebAssembly as baseline code, and a call
        # stays in the code it started in: one regex over a large document ran start to end unoptimised.
        # A few calls here, on text of our own and in a namespace of our own, make V8 optimise the paths
        # cells lean on (regex search, str methods, dict updates) in its background thread while the
        # documents load. Nothing is left behind but the regex module's cache.
        import re
        text = 'line 12: the quick brown fox jumps over the lazy dog NEEDLE42 (x=3.5)\n' * 2000
        for _ in range(int(rounds)):
            re.findall(r'NEEDLE4\d*', text)
            re.findall(r'[A-Za-z]+', text[:20000])
            re.search(r'(\w+) dog NEEDLE99', text)
            text.split()
            text.splitlines()
            text.count('fox')
            text.find('NEEDLE99')
            text.lower()
            counts = {}
            for w in text[:20000].split():
                counts[w] = counts.get(w, 0) + 1

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
            'reserve_ascii': reserve_ascii, 'reserve_bytes': reserve_bytes, 'adopt_bytes': adopt_bytes, 'drop_document': drop_document,
            'finish_documents': finish_documents, 'recover': recover, 'warm_up': warm_up}

_rlm_make_helpers()
