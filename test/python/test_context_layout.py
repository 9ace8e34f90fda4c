"""How `_rlm_set_documents` builds a multi-document `context`: with one join, so building it holds the
documents and the context, not a second copy of every document (issue 10). Measured with tracemalloc."""
import tracemalloc


def _peak_of_set_documents(sandbox, docs):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        sandbox['_rlm_set_documents'](docs)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_two_documents_and_an_emoji_are_joined_without_a_copy_per_document(sandbox):
    n = 2_000_000
    wide = 'x' * (n - 1) + '\U0001F600'  # one emoji: CPython stores this document with 4 bytes a character
    docs = {'a.txt': 'a' * n, 'b.txt': wide}
    peak = _peak_of_set_documents(sandbox, docs)
    context = sandbox['context']
    headers = ['===== DOCUMENT %d/2: %s (2,000,000 chars) =====\n' % (i + 1, name) for i, name in enumerate(docs)]
    assert len(context) == sum(map(len, headers)) + 2 * n + 2
    context_bytes = 4 * len(context)  # the context is as wide as its widest document
    # One join allocates the context (and a small list of pieces); `header + text` per document allocated
    # every document again first (here 2 MB + 8 MB more than the context).
    assert peak < context_bytes + 1_000_000, (peak, context_bytes)
    assert context.startswith('===== DOCUMENT 1/2: a.txt (2,000,000 chars) =====\naaa')
    assert '\n\n===== DOCUMENT 2/2: b.txt (2,000,000 chars) =====\nxxx' in context
    assert context.endswith('x\U0001F600')


def test_a_single_document_is_the_context_itself(sandbox):
    text = 'only ' * 1000
    sandbox['_rlm_set_documents']({'one.txt': text})
    assert sandbox['context'] is sandbox['documents']['one.txt']
