"""Fixtures for the sandbox Python tests: each test gets a fresh `__main__` namespace with the real
files from lambdas/sandbox-python/ executed in it, as the sandboxes do (Pyodide, AgentCore)."""
import json
import os
import sys
import types

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SANDBOX_PYTHON = os.path.join(ROOT, 'lambdas', 'sandbox-python')


# The prelude's files, run one after the other in one namespace (as PYTHON_PRELUDE embeds them).
PRELUDE_FILES = ('prelude.py', 'prelude_subcalls.py', 'prelude_journal.py')


def source(name):
    with open(os.path.join(SANDBOX_PYTHON, name), encoding='utf-8') as f:
        return f.read()


class Sandbox:
    """A fresh __main__ with the prelude loaded; `run(code, ...)` runs a cell and returns its parsed report."""

    def __init__(self, ns):
        self.ns = ns

    def __getitem__(self, key):
        return self.ns[key]

    def __setitem__(self, key, value):
        self.ns[key] = value

    def exec(self, code):
        exec(compile(code, '<test>', 'exec'), self.ns)

    def run(self, code, timeout_s=0, limit_s=None, budget=None):
        return json.loads(self.ns['_rlm_run_cell'](code, timeout_s, limit_s, budget))


@pytest.fixture
def sandbox(monkeypatch):
    main = types.ModuleType('__main__')
    monkeypatch.setitem(sys.modules, '__main__', main)
    ns = main.__dict__
    for name in PRELUDE_FILES:
        exec(compile(source(name), name, 'exec'), ns)
    ns['_rlm_set_documents']({'a.txt': 'alpha text', 'b.txt': 'beta'})
    ns['_rlm_configure']('sub-model', 4, 10_000)
    return Sandbox(ns)


@pytest.fixture
def agentcore(sandbox):
    """The prelude plus the AgentCore setup definitions (not run: tests call its functions)."""
    exec(compile(source('agentcore_setup.py'), 'agentcore_setup.py', 'exec'), sandbox.ns)
    return sandbox


@pytest.fixture
def text_rule():
    with open(os.path.join(ROOT, 'test', 'fixtures', 'text-rule.json'), encoding='utf-8') as f:
        return json.load(f)['cases']
