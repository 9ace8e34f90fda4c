
class _RlmDocumentError(Exception):
    def __init__(self, name, message):
        Exception.__init__(self, 'document ' + repr(name) + ' ' + message)
        self.document = name


def _rlm_describe_exc(e):
    """'Code: message' for botocore ClientError (e.g. ThrottlingException), 'Type: message' otherwise."""
    resp = getattr(e, 'response', None)
    if isinstance(resp, dict) and isinstance(resp.get('Error'), dict):
        err = resp['Error']
        return str(err.get('Code') or type(e).__name__) + ': ' + str(err.get('Message') or e)
    return type(e).__name__ + ': ' + str(e)


def _rlm_make_backend(cfg):
    import concurrent.futures
    import threading
    import time
    import boto3
    from botocore.config import Config

    holder = {}
    lock = threading.Lock()

    def client():
        with lock:
            if 'c' not in holder:
                holder['c'] = boto3.client(
                    'bedrock-runtime',
                    region_name=cfg['region'],
                    config=Config(
                        retries={'total_max_attempts': int(cfg['sub_max_attempts']), 'mode': 'adaptive'},
                        read_timeout=int(cfg['sub_read_timeout']),
                        connect_timeout=10,
                        max_pool_connections=max(10, int(cfg['sub_concurrency'])),
                    ),
                )
            return holder['c']

    max_tokens = cfg.get('sub_max_tokens')

    def one(prompt, model):
        t0 = time.time()
        try:
            request = {'modelId': model, 'messages': [{'role': 'user', 'content': [{'text': prompt}]}]}
            if max_tokens:
                request['inferenceConfig'] = {'maxTokens': int(max_tokens)}
            resp = client().converse(**request)
            blocks = ((resp.get('output') or {}).get('message') or {}).get('content') or []
            text = ''.join(b['text'] for b in blocks if isinstance(b, dict) and isinstance(b.get('text'), str))
            usage = resp.get('usage') or {}
            res = {'text': text, 'error': None, 'input_tokens': int(usage.get('inputTokens') or 0),
                   'output_tokens': int(usage.get('outputTokens') or 0), 'ms': int((time.time() - t0) * 1000)}
            if resp.get('stopReason') in ('max_tokens', 'model_context_window_exceeded'):
                res['truncated'] = True
            return res
        except Exception as e:
            return {'text': '', 'error': _rlm_describe_exc(e), 'input_tokens': 0, 'output_tokens': 0,
                    'ms': int((time.time() - t0) * 1000)}

    configured = set(cfg.get('allowed_models') or [])

    def backend(prompts, model):
        if not model:
            raise ValueError('no sub-model configured; pass model=')
        # The prelude checks the cell's allowlist first; this is the session's own (set at setup).
        if configured and model not in configured:
            raise PermissionError('model ' + repr(model) + ' is not allowed in this run')
        if len(prompts) == 1:
            return [one(prompts[0], model)]
        workers = max(1, min(int(_RLM['concurrency']), len(prompts)))
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix='rlm-sub')
        try:
            futures = [pool.submit(one, p, model) for p in prompts]
            return [f.result() for f in futures]
        finally:
            # On a cell timeout (SIGALRM) do not wait for calls still in flight: drop them.
            pool.shutdown(wait=False, cancel_futures=True)

    return backend


def _rlm_load_documents(cfg):
    import re
    import boto3
    from botocore.config import Config

    s3 = boto3.client('s3', region_name=cfg['s3_region'],
                      config=Config(retries={'total_max_attempts': 5, 'mode': 'standard'}, read_timeout=120))
    docs = {}
    for d in cfg['documents']:
        name, uri = d['name'], d['uri']
        m = re.match(r'^s3://([^/]+)/(.+)$', uri, re.S)
        if not m:
            raise _RlmDocumentError(name, 'has no s3://bucket/key URI: ' + repr(uri))
        if name in docs:
            raise _RlmDocumentError(name, 'is listed twice')
        try:
            body = s3.get_object(Bucket=m.group(1), Key=m.group(2))['Body']
            try:
                data = body.read()
            finally:
                body.close()
        except Exception as e:
            raise _RlmDocumentError(name, 'could not be read from ' + uri + ': ' + _rlm_describe_exc(e))
        text, reason = _rlm_decode_document(data)
        del data
        if reason is not None:
            raise _RlmDocumentError(name, 'is not a text document: ' + reason)
        docs[name] = text
    return docs


def _rlm_decode_document(data):
    """(text, None) when bytes are a text document, else (None, reason). The same rule as
    lambdas/adapters/documents/text.ts (test/fixtures/text-rule.json): no NUL byte anywhere, strict
    UTF-8, one leading byte-order mark dropped."""
    nul = data.find(b'\x00')
    if nul != -1:
        return None, 'binary content (NUL byte at offset ' + str(nul) + ')'
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        return None, 'not valid UTF-8 (at byte ' + str(e.start) + ')'
    if text.startswith('\ufeff'):
        text = text[1:]
    return text, None


def _rlm_setup(cfg):
    try:
        # The backend first: _rlm_configure protects the names in place, the backend included.
        globals()['_rlm_backend'] = _rlm_make_backend(cfg)
        _rlm_configure(cfg['sub_model'], cfg['sub_concurrency'], cfg['capture'])
        docs = _rlm_load_documents(cfg)
        names = list(docs)
        total = _rlm_set_documents(docs)
        report = {'ok': True, 'documents': [{'name': n, 'chars': len(docs[n])} for n in names],
                  'total_chars': total, 'preview': globals()['context'][:int(cfg['preview_chars'])]}
    except _RlmDocumentError as e:
        report = {'ok': False, 'kind': 'document', 'document': e.document, 'message': str(e)}
    except Exception as e:
        report = {'ok': False, 'kind': 'setup', 'message': _rlm_describe_exc(e)}
    print(cfg['marker'] + _rlm_json.dumps(report))

