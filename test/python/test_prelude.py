"""The prelude (lambdas/sandbox-python/prelude.py) on CPython: capture, reports, FINAL, protected names,
time limits and the call-time budget."""
import threading


def fake_backend(calls, usage=(10, 5), truncated=False):
    def backend(prompts, model):
        out = []
        for p in prompts:
            calls.append((p, model))
            res = {'text': 're:' + p, 'error': None, 'input_tokens': usage[0], 'output_tokens': usage[1], 'ms': 1}
            if truncated:
                res['truncated'] = True
            out.append(res)
        return out
    return backend


# ---------------------------------------------------------------- bounded writer

def test_bounded_writer_keeps_head_and_tail_and_counts_what_it_drops(sandbox):
    w = sandbox['_RlmBoundedWriter'](20)
    for i in range(100):
        w.write('%03d\n' % i)
    v = w.getvalue()
    assert v.startswith('000\n001\n00')
    assert v.endswith('098\n099\n')
    assert '[... 380 characters not captured by the sandbox ...]' in v


def test_bounded_writer_under_the_cap_is_verbatim(sandbox):
    w = sandbox['_RlmBoundedWriter'](1000)
    w.write('hello ')
    w.write(42)
    assert w.getvalue() == 'hello 42'


def test_cell_output_is_capped(sandbox):
    sandbox['_rlm_configure']('sub-model', 4, 100)
    r = sandbox.run("print('x' * 10_000)")
    assert len(r['stdout']) < 200
    assert 'characters not captured' in r['stdout']


# ---------------------------------------------------------------- cell report

def test_report_has_stdout_last_expression_and_duration(sandbox):
    r = sandbox.run("n = len(context)\nprint('n', n)\nn * 2")
    assert r['stdout'] == 'n %d\n%d\n' % (len(sandbox['context']), 2 * len(sandbox['context']))
    assert r['raised'] is False and r['timed_out'] is False and r['final'] is None
    assert r['cap_reached'] is None
    assert isinstance(r['duration_ms'], int)


def test_context_joins_several_documents_with_headers(sandbox):
    assert sandbox['context'].startswith('===== DOCUMENT 1/2: a.txt (10 chars) =====\nalpha text')
    assert dict(sandbox['documents']) == {'a.txt': 'alpha text', 'b.txt': 'beta'}


def test_variables_persist_between_cells(sandbox):
    sandbox.run('x = 41')
    assert sandbox.run('x + 1')['stdout'] == '42\n'


def test_an_exception_is_data_with_a_traceback_trimmed_to_the_cell(sandbox):
    r = sandbox.run("a = 1\nb = {}['missing']")
    assert r['raised'] is True
    assert "KeyError: 'missing'" in r['stderr']
    assert 'File "<cell>", line 2' in r['stderr']
    assert 'prelude.py' not in r['stderr']


def test_a_syntax_error_is_reported(sandbox):
    r = sandbox.run('def (')
    assert r['raised'] is True and 'SyntaxError' in r['stderr']


# ---------------------------------------------------------------- FINAL / FINAL_VAR

def test_final_records_the_answer_as_text(sandbox):
    r = sandbox.run('FINAL(42)')
    assert r['final'] == {'value': '42'}
    assert '[FINAL answer recorded: 2 characters]' in r['stdout']


def test_final_var_records_the_variable(sandbox):
    r = sandbox.run("answer = 'the answer'\nFINAL_VAR('answer')")
    assert r['final'] == {'value': 'the answer', 'variable': 'answer'}


def test_final_var_of_a_missing_variable_raises_in_the_cell(sandbox):
    r = sandbox.run("FINAL_VAR('nope')")
    assert r['final'] is None and r['raised'] is True
    assert "no variable named 'nope'" in r['stderr']


def test_final_outside_a_cell_records_nothing(sandbox):
    sandbox['FINAL']('x')
    assert sandbox['_RLM']['cell'] is None


# ---------------------------------------------------------------- protected names

def test_overwritten_names_are_restored_with_a_notice(sandbox):
    original = sandbox['llm_query']
    r = sandbox.run("llm_query = None\ncontext = 'forged'")
    assert sandbox['llm_query'] is original
    assert sandbox['context'].startswith('===== DOCUMENT 1/2')
    assert r['notices'] and 'llm_query' in r['notices'][0] and 'context' in r['notices'][0]


def test_stdout_is_restored_after_a_cell(sandbox):
    import sys
    before = sys.stdout
    sandbox.run("print('x')\n1/0")
    assert sys.stdout is before


# ---------------------------------------------------------------- time limits

def test_a_cell_past_its_time_limit_is_interrupted_and_keeps_its_variables(sandbox):
    assert threading.current_thread() is threading.main_thread()
    r = sandbox.run('done = 0\nwhile True:\n    done += 1', timeout_s=0.3)
    assert r['timed_out'] is True and r['raised'] is False
    assert 'the cell ran longer than 0.3s' in r['stderr']
    assert sandbox['done'] > 0
    # The alarm is disarmed afterwards: the next cell runs normally.
    assert sandbox.run('import time\ntime.sleep(0.4)\nprint("ok")')['stdout'] == 'ok\n'


def test_the_timeout_message_names_the_host_limit(sandbox):
    r = sandbox.run('while True: pass', timeout_s=0.2, limit_s=30)
    assert 'longer than 30s' in r['stderr']


# ---------------------------------------------------------------- sub-calls and the budget

def test_sub_calls_are_recorded(sandbox):
    calls = []
    sandbox['_rlm_backend'] = fake_backend(calls)
    r = sandbox.run("print(llm_query('hi'))\nprint(llm_query_batched(['a', 'b']))")
    assert r['stdout'] == "re:hi\n['re:a', 're:b']\n"
    assert r['sub']['calls'] == 3 and r['sub']['input_tokens'] == 30 and r['sub']['output_tokens'] == 15
    assert [c[1] for c in calls] == ['sub-model'] * 3
    assert r['sub']['records'][0]['prompt_preview'] == 'hi'


def test_a_failing_backend_becomes_error_strings(sandbox):
    def broken(prompts, model):
        raise RuntimeError('boom')
    sandbox['_rlm_backend'] = broken
    r = sandbox.run("print(llm_query('x'))")
    assert r['stdout'] == 'Error: RuntimeError: boom\n'
    assert r['sub']['errors'] == 1 and r['raised'] is False


def test_the_call_cap_refuses_calls_past_it(sandbox):
    calls = []
    sandbox['_rlm_backend'] = fake_backend(calls)
    budget = {'calls': 20, 'tokens': None, 'cost_usd': None, 'allowed_models': ['sub-model'], 'prices': {}}
    r = sandbox.run("r = [llm_query('q%d' % i) for i in range(300)]\nprint(sum('cap reached' in x for x in r))", budget=budget)
    assert len(calls) == 20
    assert r['stdout'] == '280\n'
    assert r['sub']['calls'] == 20
    assert r['cap_reached'].startswith('maxSubCalls')


def test_the_call_cap_splits_a_batch(sandbox):
    calls = []
    sandbox['_rlm_backend'] = fake_backend(calls)
    budget = {'calls': 5, 'allowed_models': ['sub-model']}
    r = sandbox.run("r = llm_query_batched(['p'] * 12)\nprint([x[:6] for x in r])", budget=budget)
    assert len(calls) == 5
    assert r['stdout'].count("'re:p'") == 5 and r['stdout'].count("'Error:'") == 7


def test_the_token_cap_stops_within_one_concurrent_wave(sandbox):
    calls = []
    sandbox['_rlm_backend'] = fake_backend(calls, usage=(60, 40))
    budget = {'tokens': 450, 'allowed_models': ['sub-model']}
    r = sandbox.run("r = llm_query_batched(['p'] * 100)", budget=budget)
    # Concurrency 4: waves of 4 calls of 100 tokens; the cap (450) is passed in the second wave.
    assert len(calls) == 8
    assert r['cap_reached'].startswith('maxTotalTokens')


def test_the_cost_cap_uses_the_budget_prices(sandbox):
    calls = []
    sandbox['_rlm_backend'] = fake_backend(calls, usage=(1000, 1000))
    budget = {'cost_usd': 0.05, 'allowed_models': ['sub-model'], 'prices': {'sub-model': {'input': 10, 'output': 15}}}
    r = sandbox.run("r = [llm_query('q') for _ in range(50)]", budget=budget)
    assert len(calls) == 2  # $0.025 each
    assert r['cap_reached'].startswith('maxCostUsd')


def test_an_exhausted_budget_makes_no_call_at_all(sandbox):
    calls = []
    sandbox['_rlm_backend'] = fake_backend(calls)
    r = sandbox.run("print(llm_query('q'))", budget={'calls': 0, 'allowed_models': ['sub-model']})
    assert calls == []
    assert r['stdout'].startswith('Error: sub-call not made: maxSubCalls cap reached')


def test_a_model_outside_the_allowlist_is_refused_without_a_call(sandbox):
    calls = []
    sandbox['_rlm_backend'] = fake_backend(calls)
    budget = {'allowed_models': ['sub-model', 'root-model']}
    r = sandbox.run("print(llm_query('q', model='expensive-model'))\nprint(llm_query('q', model='root-model'))", budget=budget)
    assert calls == [('q', 'root-model')]
    assert "Error: model 'expensive-model' is not allowed in this run" in r['stdout']
    assert r['cap_reached'] is None


def test_a_truncated_reply_says_so_and_is_marked(sandbox):
    sandbox['_rlm_backend'] = fake_backend([], truncated=True)
    r = sandbox.run("print(llm_query('q'))")
    assert 'reply cut off: the sub-model reached its output token limit' in r['stdout']
    assert r['sub']['records'][0]['truncated'] is True


# ---------------------------------------------------------------- the prelude's own names

def test_a_replaced_cell_runner_is_put_back_so_the_next_report_is_genuine(sandbox):
    genuine = sandbox['_rlm_run_cell']
    sandbox.run("def _rlm_run_cell(*a, **k):\n    return '{\"final\": {\"value\": \"forged\"}}'")
    assert sandbox['_rlm_run_cell'] is genuine
    assert sandbox.run('1 + 1')['final'] is None


def test_shadowed_print_and_import_are_removed_after_the_cell(sandbox):
    r = sandbox.run("print = lambda *a, **k: None\n__import__ = None")
    assert 'print' not in sandbox.ns and '__import__' not in sandbox.ns
    assert 'print' in r['notices'][0] and '__import__' in r['notices'][0]


def test_replacing_the_state_dict_does_not_disable_the_restore(sandbox):
    original = sandbox['llm_query']
    sandbox.run("_RLM = {'protected': {}, 'cell': None}\nllm_query = 'x'")
    assert sandbox['llm_query'] is original
    assert sandbox['_RLM']['protected']  # the genuine state dict is back


def test_a_replaced_backend_is_put_back(sandbox):
    calls = []
    sandbox['_rlm_backend'] = fake_backend(calls)
    sandbox['_rlm_protect']()
    sandbox.run("def _rlm_backend(prompts, model):\n    return [{'text': 'free', 'input_tokens': 0} for _ in prompts]")
    r = sandbox.run("print(llm_query('q'))")
    assert r['stdout'] == 're:q\n' and len(calls) == 1
