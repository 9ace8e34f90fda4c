# The sub-call half of the prelude: llm_query / llm_query_batched and the budget checks made at each
# sub-call. It runs in the same namespace right after prelude.py (the two are embedded together as
# PYTHON_PRELUDE), so the names here are prelude names like any other.

def _rlm_backend(prompts, model):
    # Adapters assign their backend before _rlm_configure / _rlm_set_documents, which protect it.
    raise RuntimeError('the sandbox has no sub-model backend configured')


def _rlm_record(prompt, model, res):
    cell = _RLM['cell']
    if cell is None:
        return
    sub = cell['sub']
    sub['calls'] += 1
    text = res.get('text') or ''
    err = res.get('error')
    if err:
        sub['errors'] += 1
    sub['input_tokens'] += int(res.get('input_tokens') or 0)
    sub['output_tokens'] += int(res.get('output_tokens') or 0)
    price = (cell['budget'].get('prices') or {}).get(model) if cell['budget'] else None
    if price:
        cell['cost_usd'] += (int(res.get('input_tokens') or 0) * float(price.get('input') or 0)
                             + int(res.get('output_tokens') or 0) * float(price.get('output') or 0)) / 1e6
    if len(sub['records']) < 200:
        rec = {
            'model': model,
            'prompt_chars': len(prompt),
            'response_chars': len(text),
            'prompt_preview': prompt[:_RLM_PREVIEW],
            'response_preview': (err or text)[:_RLM_PREVIEW],
            'input_tokens': int(res.get('input_tokens') or 0),
            'output_tokens': int(res.get('output_tokens') or 0),
            'ms': int(res.get('ms') or 0),
        }
        if err:
            rec['error'] = str(err)
        if res.get('truncated'):
            rec['truncated'] = True
        sub['records'].append(rec)


def _rlm_cap_hit(cell):
    """The cap of the cell's budget that is used up, described, or None. Budget amounts are what the
    run had left when the cell started; the cell's own sub-calls count against them."""
    budget = cell.get('budget') if cell is not None else None
    if not budget:
        return None
    sub = cell['sub']
    calls = budget.get('calls')
    if calls is not None and sub['calls'] >= calls:
        return 'maxSubCalls (' + format(int(calls), ',') + ' sub-calls were left for this cell)'
    tokens = budget.get('tokens')
    if tokens is not None and sub['input_tokens'] + sub['output_tokens'] >= tokens:
        return 'maxTotalTokens (' + format(int(tokens), ',') + ' tokens were left for this cell)'
    cost = budget.get('cost_usd')
    if cost is not None and cell['cost_usd'] >= cost:
        return 'maxCostUsd ($' + format(float(cost), '.4f') + ' was left for this cell)'
    return None


def _rlm_chunk_size(cell, pending):
    """How many of `pending` prompts to send before checking the caps again."""
    budget = cell.get('budget') if cell is not None else None
    if not budget:
        return pending
    n = pending
    if budget.get('calls') is not None:
        n = min(n, int(budget['calls']) - cell['sub']['calls'])
    if budget.get('tokens') is not None or budget.get('cost_usd') is not None:
        # Usage is known only after a call: send at most one concurrent wave, then check again.
        n = min(n, max(1, int(_RLM['concurrency'])))
    return max(1, n)


def llm_query_batched(prompts, model=None):
    """Ask a sub-LLM several prompts concurrently. Returns replies in the same order.
    A failed prompt yields a string starting with 'Error: ' instead of raising."""
    if isinstance(prompts, str):
        raise TypeError('llm_query_batched takes a list of prompts; use llm_query for one prompt')
    prompts = [p if isinstance(p, str) else str(p) for p in prompts]
    if not prompts:
        return []
    use_model = model or _RLM['sub_model']
    cell = _RLM['cell']
    budget = cell['budget'] if cell is not None else None
    if budget:
        allowed = budget.get('allowed_models')
        if allowed and use_model not in allowed:
            msg = ('Error: model ' + repr(use_model) + ' is not allowed in this run; '
                   'llm_query may use: ' + ', '.join(allowed))
            return [msg for _ in prompts]
    out = []
    while len(out) < len(prompts):
        size = len(prompts) - len(out)
        if budget:
            hit = _rlm_cap_hit(cell)
            if hit is not None:
                cell['cap_reached'] = hit
                refused = 'Error: sub-call not made: ' + hit.split(' ')[0] + ' cap reached (' + hit + '). The run stops after this cell.'
                out.extend(refused for _ in range(size))
                break
            size = _rlm_chunk_size(cell, size)
        chunk = prompts[len(out):len(out) + size] if size < len(prompts) else prompts
        try:
            results = _rlm_backend(chunk, use_model)
        except Exception as e:
            results = [{'text': '', 'error': type(e).__name__ + ': ' + str(e)} for _ in chunk]
        for p, res in zip(chunk, results):
            res = dict(res or {})
            _rlm_record(p, use_model, res)
            if res.get('error'):
                out.append('Error: ' + str(res['error']))
            elif res.get('truncated'):
                out.append((res.get('text') or '') + "\n[... reply cut off: the sub-model reached its output token limit]")
            else:
                out.append(res.get('text') or '')
        if len(results) < len(chunk):
            out.extend('Error: the sandbox backend returned no reply for this prompt' for _ in range(len(chunk) - len(results)))
    return out


def llm_query(prompt, model=None):
    """Ask a sub-LLM one prompt (it sees only this prompt). Returns its reply as a string;
    on failure returns a string starting with 'Error: '."""
    if not isinstance(prompt, str):
        prompt = str(prompt)
    return llm_query_batched([prompt], model)[0]
