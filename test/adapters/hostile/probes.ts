/**
 * Hostile-code probes against the real Pyodide sandbox, as data. Each probe is Python model code that
 * tries one way out; `hostile.test.ts` runs them all and checks on the HOST side that nothing happened
 * (see the checks there). Placeholders: `__CANARY__` (a host directory that must stay empty),
 * `__PORT__` (a loopback listener that must see no connection), `__SECRET_FILE__` (a host file whose
 * content must not leak), `__REPO__` (this repository), `__ENVNAME__` (a host environment variable
 * whose value must not leak). `JS` is the helper code of `js-reach.py` (routes to JavaScript objects).
 *
 * `expect` is what the probe's own output must show (the attempt ran and was refused), so a probe that
 * silently did nothing fails. Add every escape found as a probe here; docs/architecture.md counts them.
 */

/** One probe. */
export interface Probe {
  /** Unique, short. */
  name: string;
  category: 'shell' | 'imports' | 'js-bridge' | 'files' | 'env' | 'network' | 'memory' | 'accounting' | 'process';
  /** Cells, run in order in one session. */
  cells: string[];
  /** Must match the stdout of the last cell (unless the session was lost and `mayLoseSession`). */
  expect: RegExp;
  /** Losing the session is an acceptable outcome (it is replaced before the next probe). */
  mayLoseSession?: boolean;
  /** Budget of the cells (accounting probes). */
  budget?: { calls?: number; tokens?: number; allowedModels?: string[] };
  /** Extra host-side check on the cell results. */
  hostCheck?: 'no-final' | 'calls-capped-5';
}

const touch = (n: string) => `__CANARY__/${n}`;

export const PROBES: Probe[] = [
  // ------------------------------------------------------------------ shell
  { name: 'os.system', category: 'shell', cells: [`import os\nprint('rc', os.system('touch ${touch('system')}; id'))`], expect: /rc -1/ },
  { name: 'os.popen', category: 'shell', cells: [`import os\ntry:\n    print(os.popen('touch ${touch('popen')}').read())\nexcept Exception as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED OSError/ },
  { name: 'subprocess.run shell', category: 'shell', cells: [`import subprocess\ntry:\n    subprocess.run('touch ${touch('subprocess')}', shell=True)\nexcept Exception as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED OSError/ },
  { name: 'subprocess.Popen argv', category: 'shell', cells: [`import subprocess\ntry:\n    subprocess.Popen(['/usr/bin/touch', '${touch('popen-argv')}'])\nexcept Exception as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED OSError/ },
  { name: 'posix_spawn', category: 'shell', cells: [`import os\ntry:\n    os.posix_spawn('/usr/bin/touch', ['touch', '${touch('spawn')}'], {})\nexcept Exception as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED (AttributeError|OSError)/ },
  { name: 'fork/exec', category: 'shell', cells: [`import os\ncalls = {'fork': lambda: os.fork(), 'execv': lambda: os.execv('/usr/bin/touch', ['touch', '${touch('execv')}']), 'spawnv': lambda: os.spawnv(os.P_WAIT, '/usr/bin/touch', ['touch', '${touch('spawnv')}'])}\nfor name, f in calls.items():\n    try:\n        f()\n        print(name, 'RAN')\n    except (OSError, AttributeError) as e:\n        print(name, 'REFUSED', type(e).__name__)`], expect: /fork REFUSED[\s\S]*execv REFUSED[\s\S]*spawnv REFUSED/ },
  { name: 'pty.spawn', category: 'shell', cells: [`try:\n    import pty\n    pty.spawn(['/usr/bin/touch', '${touch('pty')}'])\nexcept BaseException as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED/ },
  { name: 'ctypes system()', category: 'shell', cells: [`import ctypes\nprint('rc', ctypes.CDLL(None).system(b'touch ${touch('ctypes-system')}'))`], expect: /rc -1/ },
  { name: 'ctypes emscripten_run_script', category: 'shell', cells: [`import ctypes\nlib = ctypes.CDLL(None)\nlib.emscripten_run_script(b"require('fs').writeFileSync('${touch('run-script')}', 'x')")\nprint('int', lib.emscripten_run_script_int(b'1+41'))`], expect: /int 0/ },
  { name: 'ctypes emscripten_run_script_string', category: 'shell', cells: [`import ctypes\nf = ctypes.CDLL(None).emscripten_run_script_string\nf.restype = ctypes.c_char_p\nprint('str', f(b'JSON.stringify(process.env)'))`], expect: /str None/ },

  // ------------------------------------------------------------------ imports
  { name: 'import js', category: 'imports', cells: [`try:\n    import js\n    print('GOT', js)\nexcept ImportError as e:\n    print('REFUSED', e)`], expect: /REFUSED/ },
  { name: 'import pyodide_js', category: 'imports', cells: [`try:\n    import pyodide_js\n    print('GOT')\nexcept ImportError as e:\n    print('REFUSED', e)`], expect: /REFUSED/ },
  { name: 'import pyodide.code / http', category: 'imports', cells: [`for m in ('pyodide', 'pyodide.code', 'pyodide.http', 'pyodide.ffi', '_pyodide', 'micropip'):\n    try:\n        __import__(m)\n        print(m, 'GOT')\n    except ImportError:\n        print(m, 'REFUSED')`], expect: /^(?![\s\S]*GOT)[\s\S]*micropip REFUSED/ },
  // Known: with the blocker popped, the pure-Python `pyodide` package still imports from the stdlib zip;
  // what it offers (run_js, pyfetch, open_url, ffi) is refused at the JavaScript layer, checked here.
  { name: 'sys.meta_path.pop(0)', category: 'imports', cells: [`import sys\nsys.meta_path.pop(0)\n__JS__\nfor m in ('js', 'pyodide_js'):\n    _try(m, lambda: __import__(m))\n_try('run_js', lambda: __import__('pyodide.code').code.run_js("require('fs').writeFileSync('${touch('meta-path')}', 'x')"))\n_try('open_url', lambda: __import__('pyodide.http').http.open_url('http://127.0.0.1:__PORT__/'))\n_try('pyfetch', lambda: __import__('asyncio').get_event_loop().run_until_complete(__import__('pyodide.http').http.pyfetch('http://127.0.0.1:__PORT__/')))`], expect: /js REFUSED[\s\S]*pyodide_js REFUSED[\s\S]*run_js REFUSED[\s\S]*open_url REFUSED[\s\S]*pyfetch REFUSED/ },
  { name: 'importlib', category: 'imports', cells: [`import importlib, sys\nsys.meta_path[:] = [f for f in sys.meta_path if 'Blocker' not in type(f).__name__]\nfor m in ('js', 'pyodide_js'):\n    try:\n        importlib.import_module(m)\n        print(m, 'GOT')\n    except ImportError:\n        print(m, 'REFUSED')`], expect: /js REFUSED\npyodide_js REFUSED/ },
  {
    name: '_imp.create_builtin(_pyodide_core)', category: 'imports',
    cells: [`import _imp, importlib.machinery as m, sys\nspec = m.ModuleSpec('_pyodide_core', m.BuiltinImporter)\ncore = _imp.create_builtin(spec)\nprint('core', [n for n in dir(core) if not n.startswith('__')][:8])\n__JS__\n_try('core-js', lambda: core.JsProxy)\n_try('core-run', lambda: core.run_js('1'))\n_try('core-js-global', lambda: core.js_globals)`],
    expect: /core-run REFUSED/,
  },
  { name: 'BuiltinImporter.load_module', category: 'imports', cells: [`import importlib.machinery as m\n__JS__\n_try('load', lambda: m.BuiltinImporter.load_module('_pyodide_core').run_js('1'))\n_try('js', lambda: __import__('js'))`], expect: /load REFUSED[\s\S]*js REFUSED/ },

  // ------------------------------------------------------------------ js-bridge (the gc route)
  { name: 'gc -> to_js -> Function', category: 'js-bridge', cells: [`__JS__\nffi = _ffi()\nprint('ffi found', ffi is not None)\n_try('function', lambda: ffi.to_js({}).constructor.constructor('return globalThis.process')())`], expect: /function REFUSED/ },
  { name: 'gc -> Function via bound proxies', category: 'js-bridge', cells: [`__JS__\nfound = 0\nfor o in _jsproxies(200):\n    try:\n        c = o.constructor.constructor\n        found += 1\n        c('return process')()\n        print('ESCAPED')\n        break\n    except BaseException as e:\n        pass\nprint('tried', found, 'REFUSED')`], expect: /REFUSED/ },
  { name: 'async/generator function constructors', category: 'js-bridge', cells: [`__JS__\nffi = _ffi()\n_try('async', lambda: ffi.to_js({}).constructor.constructor.prototype.constructor('return 1'))\n_try('eval', lambda: ffi.to_js({}).constructor.constructor('return eval')())`], expect: /async REFUSED[\s\S]*eval REFUSED/ },
  { name: 'run_js via gc', category: 'js-bridge', cells: [`import gc\nfns = [o for o in gc.get_objects() if callable(o) and getattr(o, '__name__', '') == 'run_js']\nprint('found', len(fns))\nfor f in fns:\n    try:\n        f("require('fs').writeFileSync('${touch('run-js')}', 'x')")\n        print('ESCAPED')\n    except BaseException as e:\n        print('REFUSED', type(e).__name__)\nprint('done REFUSED')`], expect: /done REFUSED/ },
  { name: 'pyodide API -> Module run_script', category: 'js-bridge', cells: [`__JS__\napi = _api()\nprint('api', api is not None)\nif api is not None:\n    _try('mod-run', lambda: api._module._emscripten_run_script(0))\n    _try('runjs', lambda: api.runPython('import js'))\nprint('end REFUSED')`], expect: /end REFUSED/ },
  {
    name: 'NODEFS mount of / (read and write)', category: 'js-bridge', mayLoseSession: true,
    cells: [`__JS__\napi = _api()\nprint('api', api is not None)\ndef mount():\n    FS = api._module.FS\n    opts = _ffi().to_js({'root': '/'}, dict_converter=api._module.constructor.fromEntries)\n    FS.mkdirTree('/host')\n    FS.mount(FS.filesystems.NODEFS, opts, '/host')\n    return 'mounted'\n_try('mount', mount)\n_try('read', lambda: open('/host/etc/passwd').read()[:40])\n_try('repo', lambda: open('/host__REPO__/package.json').read()[:40])\n_try('write', lambda: open('/host${touch('nodefs')}', 'w').write('x'))\nprint('end')`],
    expect: /read REFUSED[\s\S]*repo REFUSED[\s\S]*write REFUSED/,
  },
  { name: 'API loadPackage from loopback', category: 'js-bridge', cells: [`__JS__\napi = _api()\n_try('load', lambda: api.loadPackage('http://127.0.0.1:__PORT__/x.whl') if api else (_ for _ in ()).throw(PermissionError('no api')))\nprint('end')`], expect: /load (REFUSED|RESULT)/, mayLoseSession: true },
  { name: 'walk JS objects for process', category: 'js-bridge', cells: [`__JS__\nseen = 0\nhits = []\nfor o in _jsproxies(300):\n    for k in ('process', 'require', 'globalThis', 'global', 'module'):\n        try:\n            v = getattr(o, k)\n            hits.append(k)\n        except BaseException:\n            pass\n    seen += 1\nprint('seen', seen, 'hits', sorted(set(hits)) or 'none REFUSED')`], expect: /none REFUSED/ },
  { name: 'host bridge functions have no prototype', category: 'js-bridge', cells: [`__JS__\nimport sys\nfns = [o for o in _jsproxies() if type(o).__name__ in ('JsCallable', 'JsProxy')]\nbad = 0\nfor f in fns[:200]:\n    try:\n        f.constructor\n        f.call\n        bad += 0\n    except BaseException:\n        pass\nffi = _ffi()\n_try('proto', lambda: ffi.to_js({}).constructor.getPrototypeOf(ffi.to_js({})).constructor.constructor('return this')())`], expect: /proto REFUSED/ },

  // ------------------------------------------------------------------ files
  { name: 'open /etc/passwd', category: 'files', cells: [`try:\n    print(open('/etc/passwd').read()[:50])\nexcept OSError as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED FileNotFoundError/ },
  { name: 'open the repository', category: 'files', cells: [`import os\nfor p in ('__REPO__/README.md', '__REPO__/package.json', '__SECRET_FILE__'):\n    try:\n        print(open(p).read()[:50])\n    except OSError as e:\n        print('REFUSED', type(e).__name__)`], expect: /^REFUSED[\s\S]*REFUSED[\s\S]*REFUSED/ },
  { name: '/proc', category: 'files', cells: [`import os\nfor p in ('/proc/self/environ', '/proc/self/cmdline', '/proc/1/cmdline', '/proc/self/maps'):\n    try:\n        print(p, open(p, 'rb').read()[:60])\n    except OSError as e:\n        print(p, 'REFUSED', type(e).__name__)`], expect: /maps REFUSED/ },
  { name: 'write a host file', category: 'files', cells: [`import os\ntry:\n    os.makedirs('__CANARY__', exist_ok=True)\n    open('${touch('write')}', 'w').write('x')\n    print('wrote in the in-memory FS only:', os.path.exists('${touch('write')}'))\nexcept OSError as e:\n    print('REFUSED', type(e).__name__)`], expect: /in-memory FS only: True|REFUSED/ },
  { name: 'listdir host dirs', category: 'files', cells: [`import os\nfor p in ('/home', '/root', '/work', '/tmp', '/etc'):\n    try:\n        print(p, os.listdir(p)[:5])\n    except OSError as e:\n        print(p, 'REFUSED', type(e).__name__)`], expect: /\/work REFUSED/ },

  // ------------------------------------------------------------------ env
  { name: 'os.environ', category: 'env', cells: [`import os\nprint(sorted(os.environ))\nprint(os.environ.get('__ENVNAME__', 'absent REFUSED'))`], expect: /absent REFUSED/ },
  { name: 'posix.environ bytes', category: 'env', cells: [`import posix\nprint({k: v for k, v in posix.environ.items()})\nprint('REFUSED' if b'__ENVNAME__' not in posix.environ else 'LEAK')`], expect: /REFUSED/ },
  { name: 'JS process.env via gc', category: 'env', cells: [`__JS__\nffi = _ffi()\n_try('env', lambda: ffi.to_js({}).constructor.constructor('return JSON.stringify(process.env)')())\napi = _api()\n_try('api-env', lambda: api._api.config.env.__ENVNAME__ if api else (_ for _ in ()).throw(PermissionError('no api')))`], expect: /env REFUSED[\s\S]*api-env REFUSED/ },

  // ------------------------------------------------------------------ network
  { name: 'socket to loopback', category: 'network', cells: [`import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', __PORT__), timeout=2)\n    s.sendall(b'hello')\n    print('CONNECTED')\nexcept OSError as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED/ },
  { name: 'urllib to loopback', category: 'network', cells: [`import urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:__PORT__/', timeout=2).read()\n    print('CONNECTED')\nexcept Exception as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED/ },
  { name: 'http.client to loopback', category: 'network', cells: [`import http.client\ntry:\n    c = http.client.HTTPConnection('127.0.0.1', __PORT__, timeout=2)\n    c.request('GET', '/')\n    print('CONNECTED')\nexcept Exception as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED/ },
  { name: 'UDP sendto loopback', category: 'network', cells: [`import socket\ntry:\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n    s.sendto(b'x', ('127.0.0.1', __PORT__))\n    print('SENT')\nexcept OSError as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED/ },
  { name: 'asyncio open_connection', category: 'network', cells: [`import asyncio\nasync def go():\n    r, w = await asyncio.open_connection('127.0.0.1', __PORT__)\n    return 'CONNECTED'\ntry:\n    print(asyncio.get_event_loop().run_until_complete(go()))\nexcept BaseException as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED/ },
  { name: 'JS fetch via gc', category: 'network', cells: [`__JS__\nffi = _ffi()\n_try('fetch', lambda: ffi.to_js({}).constructor.constructor("return fetch('http://127.0.0.1:__PORT__/')")())\napi = _api()\n_try('pyfetch', lambda: api._module.fetch if api else (_ for _ in ()).throw(PermissionError('no api')))`], expect: /fetch REFUSED/ },
  { name: 'pyodide.http via gc', category: 'network', cells: [`import gc, types\nmods = [o for o in gc.get_objects() if isinstance(o, types.ModuleType) and getattr(o, '__name__', '') in ('pyodide.http', 'pyodide.code')]\nprint('modules', [m.__name__ for m in mods])\nfor m in mods:\n    f = getattr(m, 'open_url', None)\n    if f:\n        try:\n            f('http://127.0.0.1:__PORT__/')\n            print('CONNECTED')\n        except BaseException as e:\n            print('open_url REFUSED', type(e).__name__)\nprint('end REFUSED')`], expect: /end REFUSED/ },

  // ------------------------------------------------------------------ memory
  { name: 'one 1.5 GiB allocation (over the cap)', category: 'memory', cells: [`try:\n    x = bytearray(1536 * 1024 ** 2)\n    print('ALLOCATED')\nexcept MemoryError:\n    print('MemoryError REFUSED')`], expect: /MemoryError REFUSED/ },
  { name: 'growing list of 50 MB blocks', category: 'memory', cells: [`blocks = []\ntry:\n    while True:\n        blocks.append(bytearray(50 * 1024 * 1024))\nexcept MemoryError:\n    n = len(blocks)\n    del blocks\n    print('MemoryError after', n * 50, 'MB REFUSED')`], expect: /MemoryError after \d+ MB REFUSED/ },
  { name: 'string doubling', category: 'memory', cells: [`s = 'x'\ntry:\n    while True:\n        s = s + s\nexcept MemoryError:\n    n = len(s)\n    del s\n    print('MemoryError at', n, 'REFUSED')`], expect: /MemoryError at \d+ REFUSED/ },
  { name: 'JS heap bomb via to_js', category: 'memory', cells: [`__JS__\nffi = _ffi()\nkeep = []\ntry:\n    while True:\n        keep.append(ffi.to_js(list(range(2_000_000))))\nexcept BaseException as e:\n    del keep\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED/, mayLoseSession: true },
  { name: 'wasm memory poke via ctypes', category: 'memory', cells: [`import ctypes\nprint('read', len(ctypes.string_at(1024, 64)))\ntry:\n    ctypes.memset(0xFFFFFF00, 0, 4096)\n    print('wrote past the heap')\nexcept BaseException as e:\n    print('REFUSED', type(e).__name__)`], expect: /read 64/, mayLoseSession: true },
  { name: 'shared buffers via gc', category: 'memory', cells: [`__JS__\nshared = []\nfor o in _jsproxies(500):\n    try:\n        if 'SharedArrayBuffer' in str(o.constructor.name) or 'Memory' in str(o.constructor.name):\n            shared.append(str(o.constructor.name))\n    except BaseException:\n        pass\nprint('shared', shared[:5], 'REFUSED')`], expect: /REFUSED/ },

  // ------------------------------------------------------------------ accounting / FINAL forgery
  { name: 'redefined _rlm_run_cell', category: 'accounting', hostCheck: 'no-final', cells: [`import json\ndef _rlm_run_cell(code, *a):\n    return json.dumps({'stdout': 'forged', 'stderr': '', 'final': {'value': 'FORGED'}, 'timed_out': False, 'raised': False, 'duration_ms': 0, 'sub': {'calls': -5, 'errors': 0, 'input_tokens': -1000, 'output_tokens': -1000, 'records': []}, 'notices': []})\nglobals()['_rlm_run_cell'] = _rlm_run_cell`, `print('second cell ran for real')`], expect: /second cell ran for real/ },
  { name: 'fake backend undercounts', category: 'accounting', cells: [`real = globals()['_rlm_backend']\ndef _rlm_backend(prompts, model):\n    return [{'text': 'fake', 'error': None, 'input_tokens': -100, 'output_tokens': -100, 'ms': 0} for _ in prompts]\nglobals()['_rlm_backend'] = _rlm_backend\nprint(llm_query('hi'), 'REFUSED')\nglobals()['_rlm_backend'] = real`], expect: /REFUSED/ },
  { name: 'direct backend calls are counted', category: 'accounting', cells: [`import gc\nbacks = [o for o in gc.get_objects() if callable(o) and getattr(o, '__name__', '') == '_rlm_backend']\nn = 0\nfor b in backs:\n    try:\n        n += len(b(['direct %d' % i for i in range(3)], 'fake-sub-model'))\n    except Exception as e:\n        pass\nprint('direct replies', n, 'COUNTED')`], expect: /COUNTED/ },
  { name: 'direct backend calls respect the cap', category: 'accounting', hostCheck: 'calls-capped-5', budget: { calls: 5 }, cells: [`import gc\nbacks = [o for o in gc.get_objects() if callable(o) and getattr(o, '__name__', '') == '_rlm_backend']\nout = []\nfor b in backs:\n    out += b(['cap %d' % i for i in range(20)], 'fake-sub-model')\nprint('errors', sum(1 for r in out if r.get('error')), 'CAPPED')`], expect: /CAPPED/ },
  { name: 'forged _RLM counters', category: 'accounting', hostCheck: 'no-final', cells: [`_RLM['cell']['sub']['calls'] = -100\n_RLM['cell']['sub']['input_tokens'] = -10**9\n_RLM['cell']['final'] = {'value': 'FORGED'}\nprint('forged counters REFUSED')`], expect: /REFUSED/ },
  { name: 'forged report on stdout', category: 'accounting', hostCheck: 'no-final', cells: [`import json\nprint('__RLM_CELL_REPORT__' + json.dumps({'final': {'value': 'FORGED'}, 'sub': {'calls': -1}}))\nprint('REFUSED')`], expect: /REFUSED/ },
  { name: 'llm_query with a foreign model', category: 'accounting', cells: [`print(llm_query('x', model='anthropic.claude-opus-4'))`], expect: /^Error: model anthropic\.claude-opus-4 is not allowed/ },
  { name: 'forged FINAL message via JS', category: 'accounting', hostCheck: 'no-final', cells: [`__JS__\nsent = 0\nfor o in _jsproxies(500):\n    try:\n        o.postMessage({'type': 'final', 'id': 1, 'value': 'FORGED'})\n        sent += 1\n    except BaseException:\n        pass\nprint('sent', sent, 'REFUSED')`], expect: /REFUSED/ },

  // ------------------------------------------------------------------ process
  { name: 'kill the parent', category: 'process', cells: [`import os, signal\nfor pid in (os.getppid(), 1, -1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n        print(pid, 'sent?')\n    except OSError as e:\n        print(pid, 'REFUSED', type(e).__name__)\nprint('end REFUSED')`], expect: /end REFUSED/ },
  { name: 'raw writes to fd 1/2/3', category: 'process', cells: [`import os\nfor fd in (1, 2, 3, 4):\n    try:\n        os.write(fd, b'{"answer": "FORGED"}\\n')\n        print(fd, 'wrote to the in-sandbox stream')\n    except OSError as e:\n        print(fd, 'REFUSED', type(e).__name__)\nprint('end')`], expect: /end/ },
  { name: 'sys.exit / os._exit', category: 'process', cells: [`import os\ntry:\n    os._exit(3)\nexcept BaseException as e:\n    print('REFUSED', type(e).__name__)`], expect: /REFUSED/, mayLoseSession: true },
];
