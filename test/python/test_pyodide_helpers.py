"""The Pyodide worker's private helpers (lambdas/sandbox-python/pyodide_helpers.py) on CPython, with the
JavaScript side replaced by plain Python callables (the real bridge is tested in test/adapters/)."""
import json
import sys
import time

import pytest
from conftest import source


class FakeJsBuffer:
    def __init__(self, data):
        self.data = data

    def to_bytes(self):
        return self.data


@pytest.fixture
def helpers(sandbox):
    """The file evaluates to the helpers dict in its own globals, as the worker runs it."""
    g = {}
    exec(compile(source('pyodide_helpers.py'), 'pyodide_helpers.py', 'exec'), g)
    return g['_rlm_make_helpers']()


def test_backend_sends_one_prompt_raw_a_batch_as_json_and_an_interrupt_raises(helpers):
    seen = []

    def call(payload):
        seen.append(payload)
        return json.dumps([{'text': 'ok', 'error': None}])
    backend = helpers['make_backend'](call)
    assert backend(['p'], 'm') == [{'text': 'ok', 'error': None}]
    prompt = '{"prompts": []} 3:x ✓ 𝄞 \x00'
    backend([prompt], 'gpt-4o:mini')
    backend(['a', 'b'], 'm')
    backend(['p'], 'mödel-𝄞')  # a non-ASCII model ID goes as JSON (its len() differs in JavaScript)
    backend(['p'], 5)
    assert seen[:2] == ['1:mp', '11:gpt-4o:mini' + prompt]
    assert [json.loads(s) for s in seen[2:]] == [
        {'prompts': ['a', 'b'], 'model': 'm'}, {'prompts': ['p'], 'model': 'mödel-𝄞'}, {'prompts': ['p'], 'model': 5}]
    with pytest.raises(KeyboardInterrupt):
        helpers['make_backend'](lambda payload: None)(['p'], 'm')


def test_documents_are_strict_utf8_and_installed_by_the_prelude(helpers, sandbox):
    assert helpers['add_document']('good.txt', FakeJsBuffer('héllo'.encode())) is None
    err = helpers['add_document']('bad.txt', FakeJsBuffer(b'caf\xe9'))
    assert 'is not valid UTF-8 text (invalid byte at offset 3' in err
    report = json.loads(helpers['finish_documents'](3))
    assert report == {'docs': [{'name': 'good.txt', 'chars': 5}], 'total': 5, 'preview': 'hél'}
    assert sandbox['context'] == 'héllo'


def test_sleep_is_replaced_and_interruptible(helpers, monkeypatch):
    monkeypatch.setattr(time, 'sleep', time.sleep)  # restored after the test
    helpers['install_sleep'](lambda ms: ms < 1000)
    time.sleep(0.1)
    with pytest.raises(KeyboardInterrupt):
        time.sleep(5)
    with pytest.raises(TypeError):
        time.sleep('1')
    with pytest.raises(ValueError):
        time.sleep(-1)


def test_recover_puts_streams_and_names_back(helpers, sandbox, monkeypatch):
    original = sandbox['llm_query']
    sandbox['llm_query'] = None
    monkeypatch.setattr(sys, 'stdout', None)
    helpers['recover']()
    assert sys.stdout is sys.__stdout__
    assert sandbox['llm_query'] is original


def test_warm_up_leaves_the_model_namespace_and_the_streams_as_they_were(helpers, sandbox, capsys):
    before = dict(sandbox.ns)
    stdout = sys.stdout
    helpers['warm_up'](2)
    assert sandbox.ns == before
    assert sys.stdout is stdout
    assert capsys.readouterr().out == ''


def test_an_ascii_document_is_written_into_a_reserved_str_in_place(helpers, sandbox):
    """`reserve_ascii` returns the address of a new str's data (what the worker reads the file into); on
    CPython ctypes plays the worker's part. The str then is that text, its one copy in the heap."""
    import ctypes
    data = b'the quick brown fox\n' * 1000
    address = helpers['reserve_ascii']('fox.txt', len(data))
    assert ctypes.string_at(address, len(data)) == b' ' * len(data)
    assert ctypes.string_at(address + len(data), 1) == b'\0'
    ctypes.memmove(address, data, len(data))
    assert helpers['reserve_ascii']('one.txt', 1) is None  # 0 or 1 character: a shared str, never written
    report = json.loads(helpers['finish_documents'](9))
    assert report == {'docs': [{'name': 'fox.txt', 'chars': len(data)}], 'total': len(data), 'preview': 'the quick'}
    assert sandbox['context'] == data.decode() and sandbox['context'].count('fox') == 1000


def test_a_document_read_into_a_buffer_is_decoded_and_checked_against_the_host_count(helpers, sandbox):
    text = 'héllo wörld 😀'
    for name, data, chars in (('ok.txt', text.encode(), len(text)), ('short.txt', text.encode(), len(text) + 1), ('bad.txt', b'caf\xe9', 4)):
        buf = helpers['reserve_bytes'](name, len(data))
        buf[:] = data
        err = helpers['adopt_bytes'](name, chars)
        if name == 'ok.txt':
            assert err is None
        elif name == 'short.txt':
            assert 'changed since it was checked (13 characters, 14 expected)' in err
        else:
            assert 'is not valid UTF-8 text (invalid byte at offset 3' in err
    helpers['reserve_ascii']('dropped.txt', 100)
    helpers['drop_document']('dropped.txt')
    report = json.loads(helpers['finish_documents'](5))
    assert report['docs'] == [{'name': 'ok.txt', 'chars': len(text)}]
    assert sandbox['context'] == text
