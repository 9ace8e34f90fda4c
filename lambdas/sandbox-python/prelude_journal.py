# The cell journal of the prelude: what each journalled cell did, kept in the session under the key the
# host gave it (`_rlm_run_cell(..., journal=KEY)`, AgentCore: "t<turn>c<cell>"). When the invocation that
# ran a cell dies before it read the report (a Lambda timeout or crash; the sandbox runs on), the next
# invocation reads the entry back with `_rlm_journal_read`: the cell's whole report once it finished,
# the sub-calls it has made so far while it still runs, or that no such cell ever started in this session.
# Runs in the same namespace right after prelude_subcalls.py (PYTHON_PRELUDE is all three files).

_RLM_JOURNAL_KEEP = 16
_RLM_INTERNAL = _RLM_INTERNAL + ('_rlm_journal_open', '_rlm_journal_close', '_rlm_journal_read')


def _rlm_journal_open(key, cell):
    """Start the entry of a journalled cell before its code runs (`cell` is the live cell state: its
    sub-call tally grows as calls end). Only the newest `_RLM_JOURNAL_KEEP` entries are kept."""
    if not key:
        return
    journal = _RLM.setdefault('journal', {})
    journal.pop(key, None)
    journal[key] = {'cell': cell, 'report': None}
    while len(journal) > _RLM_JOURNAL_KEEP:
        del journal[next(iter(journal))]


def _rlm_journal_close(key, report):
    """Keep the finished cell's JSON report in its entry."""
    if not key:
        return
    entry = _RLM.setdefault('journal', {}).get(key)
    if entry is not None:
        entry['report'] = report


def _rlm_journal_read(key, wait_s=0):
    """What the journal knows of cell `key`, as `STATE:PAYLOAD`: `done:<report JSON>`, `running:<sub-call
    tally JSON>` (still running after `wait_s` seconds of waiting for it), or `absent:` (no cell with this
    key started in this session)."""
    entry = _RLM.setdefault('journal', {}).get(str(key))
    if entry is None:
        return 'absent:'
    deadline = _rlm_time.time() + max(0.0, float(wait_s or 0))
    while entry['report'] is None and _rlm_time.time() < deadline:
        _rlm_time.sleep(0.05)
    if entry['report'] is not None:
        return 'done:' + entry['report']
    sub = entry['cell']['sub']
    tally = {k: sub[k] for k in ('calls', 'errors', 'input_tokens', 'output_tokens')}
    tally['records'] = list(sub['records'])
    return 'running:' + _rlm_json.dumps({'sub': tally})
