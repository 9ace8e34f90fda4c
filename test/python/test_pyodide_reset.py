"""pyodide_reset.py on CPython: what one run's code changes is gone after the reset, the next run's documents
are the only ones, and code that could reach past the reset makes it refuse. Each test runs in its own
python3 process, because the reset acts on the whole interpreter (sys.modules, builtins, every module)."""
import json
import os
import subprocess
import sys
import textwrap

from conftest import PRELUDE_FILES, SANDBOX_PYTHON

HARNESS = '''
import json, sys
ns = sys.modules['__main__'].__dict__
for f in {prelude!r}:
    exec(compile(open({root!r} + '/' + f).read(), f, 'exec'), ns)
_g = {{}}
exec(compile(open({root!r} + '/pyodide_reset.py').read(), 'pyodide_reset.py', 'exec'), _g)
_taints = ([],)  # in a tuple: the reset walks lists, dicts, sets and objects, not tuples (as the worker keeps it in JS)
_r = _g['_rlm_make_reset'](_taints[0].append, {fs_root!r})
_dec = json.JSONDecoder()
_out = sys.__stdout__
ns['_rlm_set_documents']({{'one.txt': 'the secret of run one'}})
_r['capture']()
_h = {{'reset': _r['reset'], 'taints': _taints[0], 'dec': _dec, 'out': _out, 'run': ns['_rlm_run_cell'], 'set_docs': ns['_rlm_set_documents']}}
del _g, _r, _taints, _dec, _out
'''


def run_two(first, second, fs_root):
    """Run cell `first` in run one, reset, install run two's document, run cell `second`; returns what happened.
    The reset's file system is `fs_root` (a test's own folder: on CPython that is the host's file system)."""
    # The rest runs in a function: the reset removes every name __main__ did not have at the capture.
    script = HARNESS.format(prelude=PRELUDE_FILES, root=SANDBOX_PYTHON, fs_root=str(fs_root)) + textwrap.dedent('''
        def _rest(h, dumps):
            one = h['dec'].decode(h['run']({first!r}))
            ok, why = h['reset']()
            h['set_docs']({{'two.txt': 'run two'}})
            two = h['dec'].decode(h['run']({second!r}))
            h['out'].write(dumps({{'one': one, 'clean': ok, 'why': why, 'taints': h['taints'], 'two': two}}))
        _rest(_h, json.JSONEncoder().encode)
    ''').format(first=first, second=second)
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=120, cwd=os.path.dirname(__file__))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_names_modules_classes_functions_and_hooks_are_put_back(tmp_path):
    first = textwrap.dedent('''
        secret = context
        import json, textwrap, string, os, sys, csv, builtins
        json.loads = lambda s: 'evil'
        json._default_decoder.scan_once = lambda *a: (1, 1)
        textwrap.dedent.__code__ = (lambda text: 'evil').__code__
        string.Formatter.evil = 1
        os.environ['LEAK'] = context
        sys.path.append('/evil')
        sys.setrecursionlimit(50000)
        builtins.sorted = lambda x: 'evil'
        print('changed')
    ''')
    second = textwrap.dedent('''
        import json, textwrap, string, os, sys
        print(json.loads('[1]'), sorted([2, 1]), textwrap.dedent('  a'), hasattr(string.Formatter, 'evil'))
        print('/evil' in sys.path, sys.getrecursionlimit() < 50000, os.environ.get('LEAK'), 'csv' in sys.modules, 'secret' in dir())
        print(context, sorted(documents))
    ''')
    r = run_two(first, second, tmp_path)
    assert r['one']['stdout'] == 'changed\n', r['one']
    assert (r['clean'], r['why'], r['taints']) == (True, '', [])
    assert r['two']['stderr'] == ''
    assert r['two']['stdout'] == "[1] [1, 2] a False\nFalse True None False False\nrun two ['two.txt']\n"


def test_the_first_runs_document_is_not_kept(tmp_path):
    r = run_two('x = context * 2', 'import gc\nprint(any("the secret of run one" in o for o in gc.get_objects() if type(o) is str))', tmp_path)
    assert r['clean'] is True
    assert r['two']['stdout'] == 'False\n'


def test_introspection_taints_the_interpreter(tmp_path):
    for code, event in (('import gc\ngc.get_objects()', 'gc.get_objects'), ('import gc\ngc.get_referrers(len)', 'gc.get_referrers'),
                        ('import sys\nsys.addaudithook(lambda *a: None)', 'sys.addaudithook')):
        r = run_two(code, 'print(1)', tmp_path)
        assert event in r['taints'], (code, r)


def test_a_finalizer_that_changes_state_during_the_reset_makes_it_refuse(tmp_path):
    first = textwrap.dedent('''
        class Sleeper:
            def __del__(self):
                import textwrap
                textwrap.dedent = lambda *a: 'evil'
        import sys
        sys.path_importer_cache['zz'] = Sleeper()
    ''')
    r = run_two(first, 'import textwrap\nprint(textwrap.dedent("  a"))', tmp_path)
    assert r['clean'] is False
    assert 'finalizer' in r['why']
    assert r['two']['stdout'] == 'a\n'  # the second pass put it back anyway (the host does not reuse it)


def test_files_the_run_wrote_are_removed_and_a_changed_file_makes_it_refuse(tmp_path):
    first = textwrap.dedent('''
        import os, sys
        os.makedirs('%s/planted/deep', exist_ok=True)
        open('%s/planted/deep/statistics.py', 'w').write('poisoned = True')
        open('%s/note.txt', 'w').write(context)
        os.chdir('%s/planted')
    ''' % ((tmp_path,) * 4))
    second = 'import os\nprint(os.path.exists(%r), os.path.exists(%r), os.getcwd() == %r)' % (str(tmp_path / 'planted'), str(tmp_path / 'note.txt'), os.path.dirname(os.path.abspath(__file__)))
    r = run_two(first, second, tmp_path)
    assert (r['clean'], r['why']) == (True, '')
    assert r['two']['stdout'] == 'False False True\n'
    (tmp_path / 'kept.txt').write_text('before')
    r = run_two("open(%r, 'a').write('more')" % str(tmp_path / 'kept.txt'), 'print(1)', tmp_path)
    assert r['clean'] is False and 'files changed' in r['why'], r
