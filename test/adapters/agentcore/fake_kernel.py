"""A stand-in for the AgentCore Code Interpreter kernel, for tests: real CPython, real boto3/botocore.

It reads one JSON request per stdin line ({"code": "..."}), executes the code in __main__'s namespace on
the main thread (like a Jupyter kernel, so SIGALRM works), and answers on the original stdout with
'@@KERNEL@@' + JSON {stdout, stderr, isError, executionTime}.

AWS is faked below the SDK: a botocore 'before-send' handler answers S3 GetObject from the fixture's
documents and Bedrock Converse with scripted replies, so request serialisation, response parsing,
error codes (ClientError) and retries are the real botocore code paths. Every request is logged (JSON
lines) to $FAKE_AWS_LOG. Nothing leaves the machine.
"""
import base64 as _k_base64
import io as _k_io
import json as _k_json
import os as _k_os
import sys as _k_sys
import threading as _k_threading
import time as _k_time
import traceback as _k_traceback
import urllib.parse as _k_urlparse

import boto3 as _k_boto3
from botocore.awsrequest import AWSResponse as _K_AWSResponse

_K_PROTO = _k_os.fdopen(_k_os.dup(1), 'w')
_K_FIXTURE = _k_json.load(open(_k_os.environ['FAKE_AWS_FIXTURE']))
_K_LOG_PATH = _k_os.environ['FAKE_AWS_LOG']
_K_LOCK = _k_threading.Lock()
_K_STATE = {'inflight': 0, 'max_inflight': 0}


class _KRaw:
    def __init__(self, data):
        self._b = _k_io.BytesIO(data)

    def stream(self, **kwargs):
        yield self._b.read()

    def read(self, amt=None, **kwargs):
        return self._b.read() if amt is None else self._b.read(amt)

    def close(self):
        pass


def _k_log(entry):
    with _K_LOCK:
        with open(_K_LOG_PATH, 'a') as f:
            f.write(_k_json.dumps(entry) + '\n')


def _k_response(url, status, body, headers=None):
    data = body if isinstance(body, bytes) else _k_json.dumps(body).encode('utf-8')
    h = {'content-length': str(len(data)), 'x-amzn-requestid': 'req-1'}
    h.update(headers or {})
    return _K_AWSResponse(url, status, h, _KRaw(data))


def _k_converse(request, url):
    model = _k_urlparse.unquote(url.path.split('/')[2])
    body = _k_json.loads(request.body)
    prompt = body['messages'][0]['content'][0]['text']
    _k_log({'service': 'converse', 'host': url.hostname, 'model': model, 'prompt': prompt,
            'keys': sorted(body.keys()), 'inferenceConfig': body.get('inferenceConfig')})
    if prompt.startswith('THROTTLE'):
        return _k_response(request.url, 429, {'message': 'Too many requests, please wait before trying again.'},
                           {'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/'})
    if prompt.startswith('FAIL'):
        return _k_response(request.url, 400, {'message': 'The provided model identifier is invalid.'},
                           {'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/'})
    with _K_LOCK:
        _K_STATE['inflight'] += 1
        _K_STATE['max_inflight'] = max(_K_STATE['max_inflight'], _K_STATE['inflight'])
    try:
        if prompt.startswith('SLEEP:'):
            _k_time.sleep(float(prompt.split(':')[1]))
    finally:
        with _K_LOCK:
            _K_STATE['inflight'] -= 1
    text = 'echo:' + prompt
    return _k_response(request.url, 200, {
        'output': {'message': {'role': 'assistant', 'content': [{'text': text}]}},
        'stopReason': 'max_tokens' if prompt.startswith('CUT') else 'end_turn',
        'usage': {'inputTokens': len(prompt), 'outputTokens': len(text), 'totalTokens': len(prompt) + len(text)},
        'metrics': {'latencyMs': 1},
    }, {'content-type': 'application/json'})


def _k_get_object(request, url):
    host = url.hostname
    path = _k_urlparse.unquote(url.path)
    if host.startswith('s3.') or host.startswith('s3-'):
        bucket, _, key = path.lstrip('/').partition('/')
    else:
        bucket, key = host.split('.s3.')[0], path.lstrip('/')
    _k_log({'service': 's3', 'host': host, 'method': request.method, 'bucket': bucket, 'key': key})
    doc = _K_FIXTURE.get('documents', {}).get(bucket + '/' + key)
    if doc is None:
        xml = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>'
               '<Message>The specified key does not exist.</Message><Key>' + key + '</Key></Error>').encode()
        return _k_response(request.url, 404, xml, {'content-type': 'application/xml'})
    data = _k_base64.b64decode(doc)
    return _k_response(request.url, 200, data, {'content-type': 'text/plain', 'etag': '"abc"'})


def _k_fake_send(request, **kwargs):
    url = _k_urlparse.urlsplit(request.url)
    if url.hostname.startswith('bedrock-runtime.') and url.path.endswith('/converse'):
        return _k_converse(request, url)
    if '.s3.' in url.hostname or url.hostname.startswith('s3.'):
        return _k_get_object(request, url)
    raise AssertionError('the fake AWS has no answer for ' + request.method + ' ' + request.url)


_k_boto3.setup_default_session()
_k_boto3.DEFAULT_SESSION.events.register('before-send', _k_fake_send)


def _k_kernel_state():
    """Used by tests: the highest number of Converse calls in flight at once."""
    return dict(_K_STATE)


def _k_serve():
    import __main__
    ns = __main__.__dict__
    for line in _k_sys.stdin:
        if not line.strip():
            continue
        req = _k_json.loads(line)
        out, err = _k_io.StringIO(), _k_io.StringIO()
        saved = (_k_sys.stdout, _k_sys.stderr)
        _k_sys.stdout, _k_sys.stderr = out, err
        is_error = False
        t0 = _k_time.time()
        try:
            exec(compile(req['code'], '<kernel>', 'exec'), ns)
        except BaseException:
            is_error = True
            _k_traceback.print_exc(file=err)
        finally:
            _k_sys.stdout, _k_sys.stderr = saved
        _K_PROTO.write('@@KERNEL@@' + _k_json.dumps({
            'stdout': out.getvalue(), 'stderr': err.getvalue(), 'isError': is_error,
            'executionTime': _k_time.time() - t0,
        }) + '\n')
        _K_PROTO.flush()


if __name__ == '__main__':
    _k_serve()
