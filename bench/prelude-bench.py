"""Prelude-side cost of one llm_query on CPython (fake backend, so only the Python bookkeeping is
measured: recording, the budget checks). Compare with a git revision: python3 bench/prelude-bench.py
[OLD_PRELUDE.py ...]. Figures go in docs/performance.md; this is a measurement, not a test."""
import os
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
# The prelude's files, run one after the other in one namespace (as PYTHON_PRELUDE embeds them).
PRELUDE = [os.path.join(HERE, '..', 'lambdas', 'sandbox-python', f) for f in ('prelude.py', 'prelude_subcalls.py')]
CALLS = 20000
BUDGET = {'calls': 10 ** 9, 'tokens': 10 ** 12, 'cost_usd': 1e9, 'allowed_models': ['m'], 'prices': {'m': {'input': 1, 'output': 1}}}


def load(paths):
    main = types.ModuleType('__main__')
    sys.modules['__main__'] = main
    for path in paths:
        with open(path, encoding='utf-8') as f:
            exec(compile(f.read(), path, 'exec'), main.__dict__)
    ns = main.__dict__
    ns['_rlm_set_documents']({'a': 'x'})
    ns['_rlm_configure']('m', 4, 100000)
    ns['_rlm_backend'] = lambda prompts, model: [{'text': 't', 'error': None, 'input_tokens': 1, 'output_tokens': 1, 'ms': 0} for _ in prompts]
    return ns


def per_call_us(ns, *args):
    best = float('inf')
    for _ in range(5):
        t0 = time.perf_counter()
        ns['_rlm_run_cell']("for i in range(%d): llm_query('p')" % CALLS, *args)
        best = min(best, time.perf_counter() - t0)
    return best / CALLS * 1e6


def main():
    rows = []
    if len(sys.argv) > 1:
        rows.append(('given prelude, no budget', per_call_us(load(sys.argv[1:]), 0, None)))
    ns = load(PRELUDE)
    rows.append(('no budget', per_call_us(ns, 0, None, None)))
    rows.append(('with a budget (all caps)', per_call_us(ns, 0, None, BUDGET)))
    for label, us in rows:
        print('%-26s %6.2f us per llm_query (prelude side)' % (label, us))


if __name__ == '__main__':
    main()
