"""Bench-only stand-in for the `openai` package (machines here cannot install it from PyPI).

It implements only what the reference implementation's OpenAI client calls: `OpenAI(...)` and
`AsyncOpenAI(...)` with `.base_url` and `.chat.completions.create(model=, messages=, extra_body=, **kw)`,
returning an object with `.choices[0].message.content` and `.usage.prompt_tokens/completion_tokens/
total_tokens`. Requests go over HTTP to the base URL with one keep-alive connection per thread, as the
real client's connection pool would. Never part of the product: it lives under bench/ only.
With PEER_CALL_TIMES set to a file name, the start and end (epoch seconds) of every request are written
there as JSON when the process exits (bench/peer/reference-split.ts reads them).
"""
import asyncio
import atexit
import http.client
import json
import os
import threading
import time
import urllib.parse

__all__ = ['OpenAI', 'AsyncOpenAI', 'ChatCompletion']

_CALL_TIMES = []
if os.environ.get('PEER_CALL_TIMES'):
    def _write_call_times(path=os.environ['PEER_CALL_TIMES']):
        with open(path, 'w') as f:
            json.dump(_CALL_TIMES, f)
    atexit.register(_write_call_times)


class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class ChatCompletion(_Obj):
    """Shape of a chat completion (attribute access only)."""


def _to_completion(data):
    choices = [_Obj(index=c.get('index', 0), finish_reason=c.get('finish_reason'),
                    message=_Obj(role='assistant', content=(c.get('message') or {}).get('content')))
               for c in data.get('choices', [])]
    u = data.get('usage') or {}
    usage = _Obj(prompt_tokens=u.get('prompt_tokens', 0), completion_tokens=u.get('completion_tokens', 0),
                 total_tokens=u.get('total_tokens', 0), model_extra={})
    return ChatCompletion(id=data.get('id'), model=data.get('model'), choices=choices, usage=usage)


class _Transport:
    def __init__(self, base_url, api_key, timeout):
        parsed = urllib.parse.urlparse(base_url or 'http://127.0.0.1/v1')
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.path = parsed.path.rstrip('/') + '/chat/completions'
        self.api_key = api_key or 'none'
        self.timeout = timeout or 600
        self.local = threading.local()

    def post(self, body):
        payload = json.dumps(body).encode('utf-8')
        for attempt in range(2):
            conn = getattr(self.local, 'conn', None)
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.local.conn = conn
            try:
                started = time.time()
                conn.request('POST', self.path, payload, {'content-type': 'application/json',
                                                           'authorization': 'Bearer ' + self.api_key})
                resp = conn.getresponse()
                data = resp.read()
                _CALL_TIMES.append((started, time.time()))
                if resp.status != 200:
                    raise RuntimeError('HTTP %d: %s' % (resp.status, data[:200]))
                return _to_completion(json.loads(data))
            except (http.client.HTTPException, ConnectionError):
                self.local.conn = None
                conn.close()
                if attempt:
                    raise


def _body(model, messages, extra_body=None, **kw):
    body = {'model': model, 'messages': messages}
    body.update({k: v for k, v in kw.items() if v is not None})
    if extra_body:
        body.update(extra_body)
    return body


class _Completions:
    def __init__(self, transport):
        self._t = transport

    def create(self, model=None, messages=None, extra_body=None, **kw):
        return self._t.post(_body(model, messages, extra_body, **kw))


class _AsyncCompletions(_Completions):
    async def create(self, model=None, messages=None, extra_body=None, **kw):
        return await asyncio.to_thread(self._t.post, _body(model, messages, extra_body, **kw))


class OpenAI:
    def __init__(self, api_key=None, base_url=None, timeout=None, **_kw):
        self.base_url = base_url
        self.chat = _Obj(completions=_Completions(_Transport(base_url, api_key, timeout)))


class AsyncOpenAI:
    def __init__(self, api_key=None, base_url=None, timeout=None, **_kw):
        self.base_url = base_url
        self.chat = _Obj(completions=_AsyncCompletions(_Transport(base_url, api_key, timeout)))
