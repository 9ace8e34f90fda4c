
def _rlm_make_reset(report_taint, fs_root, keep_out=('context', 'documents'), depth=3):
    # Resetting a Pyodide interpreter between the runs of a batch, so the next run's session is ready in
    # milliseconds instead of a new sandbox process (issue 13). `capture()` runs once, when the first run's
    # documents are installed and the lockdown is done; `reset()` runs after each run and puts back what the
    # capture saw: the names of every loaded module (`__main__` without the documents, builtins, sys, ...),
    # then, up to `depth` steps from those names, the contents of lists, dicts and sets (sys.modules,
    # sys.path, sys.meta_path, caches...), the attributes of objects and classes, and the code, defaults
    # and closure cells of functions; os.environ; the interpreter-wide hooks (trace, profile, recursion
    # limit, gc); the file system (what the run wrote is removed). Modules imported since are dropped.
    #
    # What the walk does not reach (deeper objects, state kept in C) could carry over, and only
    # introspection leads there, or to this function's own saved state: so capture() installs an audit
    # hook that calls `report_taint(event)` (a host function) on gc.get_objects / get_referrers /
    # get_referents, a new audit hook, os.utime (a file changed without its time changing), and ctypes. A tainted interpreter is never reused (the host stops its
    # process), nor is one reset() could not put back (it returns (False, why)). The host-side boundary
    # (files, network, caps, accounting) never depends on this.
    import gc
    import os
    import sys
    import types
    from operator import attrgetter, is_

    taint_events = frozenset(('gc.get_objects', 'gc.get_referrers', 'gc.get_referents', 'sys.addaudithook', 'os.utime'))
    special_dirs = tuple(os.path.join(fs_root, d) for d in ('dev', 'proc'))
    heap_type, immutable_type = 1 << 9, 1 << 8  # Py_TPFLAGS_HEAPTYPE, Py_TPFLAGS_IMMUTABLETYPE
    state = {}
    get_code, get_defaults, get_kwdefaults = attrgetter('__code__'), attrgetter('__defaults__'), attrgetter('__kwdefaults__')
    get_contents = attrgetter('cell_contents')

    def on_audit(event, args):
        if event in taint_events or event.startswith('ctypes.'):
            report_taint(event)

    def walk(roots, skip):
        # Saved views of everything reachable from `roots` (module namespaces) within `depth` steps; the
        # objects in `skip` (the documents) are left out of every saved view, so none keeps them alive.
        seen = {id(d) for d in roots} | skip
        containers, attrs, functions = [], [], []
        level = [v for d in roots for v in d.values()]
        for _ in range(depth):
            nxt = []
            for v in level:
                if id(v) in seen or isinstance(v, types.ModuleType):
                    continue
                seen.add(id(v))
                t = type(v)
                if t is dict:
                    containers.append((v, {k: x for k, x in v.items() if id(x) not in skip}))
                    nxt.extend(v.values())
                elif t in (list, set):
                    containers.append((v, t(x for x in v if id(x) not in skip)))
                    nxt.extend(v)
                elif t is types.FunctionType:
                    cells = []
                    for c in v.__closure__ or ():
                        try:
                            cells.append((c, True, c.cell_contents))
                        except ValueError:
                            cells.append((c, False, None))
                    functions.append((v, v.__code__, v.__defaults__, v.__kwdefaults__, cells))
                    nxt.extend(value for _, full, value in cells if full)
                elif isinstance(v, type):
                    if v.__flags__ & heap_type and not v.__flags__ & immutable_type:
                        saved = dict(v.__dict__)
                        attrs.append((v, saved, True))
                        nxt.extend(saved.values())
                else:
                    d = getattr(v, '__dict__', None)
                    if type(d) is dict:
                        attrs.append((v, d.copy(), False))
                        nxt.extend(d.values())
            level = nxt
        return containers, attrs, functions

    def fs_tree():
        # Every path under `fs_root` ('/' of the interpreter's own file system, Emscripten's, in memory: never
        # a host's) but /dev and /proc: path -> (is a dir, mode, size, mtime); a directory's size and mtime
        # change with its entries, so they are not compared.
        tree = {}
        for top, dirs, files in os.walk(fs_root, followlinks=False):
            if top in special_dirs:
                dirs[:] = []
                continue
            for name in dirs + files:
                p = os.path.join(top, name)
                if p in special_dirs:
                    continue
                st = os.lstat(p)
                is_dir = os.path.isdir(p) and not os.path.islink(p)
                tree[p] = (is_dir, st.st_mode, 0 if is_dir else st.st_size, 0 if is_dir else st.st_mtime_ns)
        return tree

    def put_back_files(problems):
        # Remove what the run created; a file it changed or removed cannot be put back (refuse).
        saved = state['fs']
        os.chdir(state['cwd'])  # first: the run's working directory may be one it created
        now = fs_tree()
        for p in sorted((p for p in now if p not in saved), key=len, reverse=True):
            try:
                os.rmdir(p) if now[p][0] else os.unlink(p)
            except OSError as e:
                problems.append('could not remove ' + p + ': ' + e.strerror)
        changed = [p for p, v in saved.items() if now.get(p) != v]
        if changed:
            problems.append('files changed or removed: ' + ', '.join(sorted(changed)[:5]))

    def capture():
        sys.addaudithook(on_audit)
        main = sys.modules['__main__']
        modules = {}
        for name, mod in list(sys.modules.items()):
            d = getattr(mod, '__dict__', None)
            if isinstance(d, dict):
                modules[name] = (mod, {k: v for k, v in d.items() if not (mod is main and k in keep_out)})
        skip = {id(main.__dict__[k]) for k in keep_out if k in main.__dict__}
        skip |= {id(x) for x in (state, capture, reset, on_audit, walk)}  # never restore this reset's own state
        containers, attrs, functions = walk([saved for _, saved in modules.values()], skip)
        full = [(c, v) for f in functions for c, is_full, v in f[4] if is_full]
        state.update(modules=modules, containers=containers, attrs=attrs, functions=functions, fs=fs_tree(), cwd=os.getcwd(),
                     environ=dict(os.environ), recursion=sys.getrecursionlimit(), gc_threshold=gc.get_threshold(),
                     int_digits=sys.get_int_max_str_digits() if hasattr(sys, 'get_int_max_str_digits') else None,
                     # columns for the checks at C speed (see functions_unchanged)
                     fn=[f[0] for f in functions], code=[f[1] for f in functions], defaults=[f[2] for f in functions],
                     kwdefaults=[f[3] for f in functions], cells=[c for c, _ in full], values=[v for _, v in full],
                     empty=[c for f in functions for c, is_full, _ in f[4] if not is_full])
        # What exists now is never garbage while the state holds it: later collections skip it (faster resets).
        gc.freeze()

    def same_dict(d, saved):
        # `d` (a dict or a class's mappingproxy) holds exactly `saved`, by identity; the loops run in C.
        return len(d) == len(saved) and d.keys() == saved.keys() and all(map(is_, map(d.__getitem__, saved), saved.values()))

    def functions_unchanged():
        st = state
        fns = st['fn']
        if not (all(map(is_, map(get_code, fns), st['code'])) and all(map(is_, map(get_defaults, fns), st['defaults']))
                and all(map(is_, map(get_kwdefaults, fns), st['kwdefaults']))):
            return False
        try:
            if not all(map(is_, map(get_contents, st['cells']), st['values'])):
                return False
        except ValueError:  # a cell was emptied
            return False
        for c in st['empty']:
            try:
                c.cell_contents
                return False
            except ValueError:
                pass
        return True

    def put_back_dict(d, saved):
        # Make dict `d` hold exactly `saved` (by identity); returns the number of writes.
        writes = 0
        if len(d) != len(saved) or any(k not in saved for k in d):
            for k in [k for k in d if k not in saved]:
                del d[k]
                writes += 1
        for k, v in saved.items():
            if d.get(k, d) is not v:
                d[k] = v
                writes += 1
        return writes

    def put_back_class(cls, saved):
        writes = 0
        now = cls.__dict__
        for k in [k for k in now if k not in saved]:
            delattr(cls, k)
            writes += 1
        for k, v in saved.items():
            if k not in ('__dict__', '__weakref__') and now.get(k, saved) is not v:
                setattr(cls, k, v)
                writes += 1
        return writes

    def restore(problems):
        # One pass over the captured state; returns how many things it had to put back. What is unchanged
        # (nearly everything) is only compared, at C speed; what changed is put back one by one.
        writes = 0
        for mod, saved in state['modules'].values():
            if not same_dict(mod.__dict__, saved):
                writes += put_back_dict(mod.__dict__, saved)
        for container, saved in state['containers']:
            if isinstance(container, dict):
                if not same_dict(container, saved):
                    writes += put_back_dict(container, saved)
            elif isinstance(container, list):
                if len(container) != len(saved) or not all(map(is_, container, saved)):
                    container[:] = saved
                    writes += 1
            elif container != saved:
                container.clear()
                container.update(saved)
                writes += 1
        for obj, saved, is_class in state['attrs']:
            try:
                if not same_dict(obj.__dict__, saved):
                    writes += put_back_class(obj, saved) if is_class else put_back_dict(obj.__dict__, saved)
            except Exception as e:
                problems.append(type(obj).__name__ + ' ' + getattr(obj, '__qualname__', '') + ': ' + type(e).__name__)
        if not functions_unchanged():
            writes += put_back_functions(problems)
        if dict(os.environ) != state['environ']:
            os.environ.clear()
            os.environ.update(state['environ'])
            writes += 1
        return writes

    def put_back_functions(problems):
        writes = 0
        for fn, code, defaults, kwdefaults, cells in state['functions']:
            try:
                if fn.__code__ is not code:
                    fn.__code__ = code
                    writes += 1
                if fn.__defaults__ is not defaults or fn.__kwdefaults__ is not kwdefaults:
                    fn.__defaults__, fn.__kwdefaults__ = defaults, kwdefaults
                    writes += 1
                for cell, full, value in cells:
                    try:
                        same = full and cell.cell_contents is value
                    except ValueError:
                        same = not full
                    if not same:
                        if full:
                            cell.cell_contents = value
                        else:
                            del cell.cell_contents
                        writes += 1
            except Exception as e:
                problems.append('function ' + getattr(fn, '__qualname__', '?') + ': ' + type(e).__name__)
        return writes

    def reset():
        problems = []
        sys.settrace(None)
        sys.setprofile(None)
        restore(problems)
        put_back_files(problems)
        protected = sys.modules['__main__'].__dict__.get('_RLM', {}).get('protected')
        if isinstance(protected, dict):
            for k in keep_out:
                protected.pop(k, None)
        sys.setrecursionlimit(state['recursion'])
        gc.set_threshold(*state['gc_threshold'])
        gc.enable()
        if state['int_digits'] is not None:
            sys.set_int_max_str_digits(state['int_digits'])
        # Dropping the run's objects runs their finalizers (`__del__`, weakref callbacks), during the first
        # pass and here; a second pass that still finds something to put back means code ran inside the reset.
        gc.collect()
        if restore(problems):
            problems.append('state changed while the interpreter was reset (a finalizer of the last run)')
        if any(k in sys.modules['__main__'].__dict__ for k in keep_out):
            problems.append('the documents are still installed')
        if sys.gettrace() is not None or sys.getprofile() is not None:
            problems.append('a trace or profile function is set')
        return (not problems, '; '.join(problems))

    return {'capture': capture, 'reset': reset}

_rlm_make_reset
