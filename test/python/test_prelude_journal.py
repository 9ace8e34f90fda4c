"""The prelude's cell journal (prelude_journal.py) on CPython: what a later invocation reads back about a
journalled cell whose invocation died (AgentCore), and that unjournalled cells leave nothing behind."""
import json
import threading
import time


def read(sandbox, key, wait_s=0):
    state, _, payload = sandbox['_rlm_journal_read'](key, wait_s).partition(':')
    return state, (json.loads(payload) if payload else None)


def fake_backend(sandbox, delay_s=0.0):
    def backend(prompts, model):
        time.sleep(delay_s)
        return [{'text': 'r:' + p, 'input_tokens': 3, 'output_tokens': 2, 'ms': 1} for p in prompts]
    sandbox['_rlm_backend'] = backend


def test_a_finished_cell_reads_back_as_its_own_report(sandbox):
    fake_backend(sandbox)
    returned = sandbox['_rlm_run_cell']("x = llm_query_batched(['a', 'b'])\nprint(x)\nFINAL_VAR('x')", 0, None, None, 't4c1')
    state, report = read(sandbox, 't4c1')
    assert state == 'done'
    assert report == json.loads(returned)
    assert report['sub']['calls'] == 2 and report['final']['variable'] == 'x'


def test_a_key_no_cell_started_under_is_absent(sandbox):
    sandbox.run('y = 1')  # not journalled
    assert read(sandbox, 't1c1') == ('absent', None)
    assert read(sandbox, '') == ('absent', None)


def test_a_running_cell_reports_the_sub_calls_ended_so_far_then_its_report(sandbox):
    fake_backend(sandbox, delay_s=0.05)
    done = threading.Event()
    # The host runs a cell on the main thread; here a thread stands in for the invocation that died.
    worker = threading.Thread(target=lambda: (sandbox['_rlm_run_cell'](
        "for i in range(3):\n    llm_query(str(i))\nimport time\ntime.sleep(0.6)", 0, None, None, 't2c1'), done.set()))
    worker.start()
    time.sleep(0.4)
    state, partial = read(sandbox, 't2c1')
    assert state == 'running'
    assert partial['sub']['calls'] == 3 and partial['sub']['input_tokens'] == 9 and len(partial['sub']['records']) == 3
    state, report = read(sandbox, 't2c1', wait_s=5)
    assert done.wait(5) and state == 'done' and report['sub']['calls'] == 3
    worker.join()


def test_only_the_newest_entries_are_kept(sandbox):
    keep = sandbox['_RLM_JOURNAL_KEEP']
    for i in range(keep + 3):
        sandbox['_rlm_run_cell']('pass', 0, None, None, f't{i}c1')
    assert read(sandbox, 't0c1')[0] == 'absent'
    assert read(sandbox, f't{keep + 2}c1')[0] == 'done'
    assert len(sandbox['_RLM']['journal']) == keep


def test_the_journal_functions_are_put_back_when_a_cell_replaces_them(sandbox):
    original = sandbox['_rlm_journal_read']
    sandbox.run("_rlm_journal_read = lambda *a: 'done:{}'")
    assert sandbox['_rlm_journal_read'] is original
