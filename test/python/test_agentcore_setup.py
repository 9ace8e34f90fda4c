"""The AgentCore session setup (lambdas/sandbox-python/agentcore_setup.py) on CPython with real boto3:
botocore's Stubber answers (and validates the requests against the service models)."""
import io

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

CFG = {'region': 'us-west-2', 's3_region': 'eu-west-1', 'sub_model': 'sub-model', 'sub_concurrency': 2,
       'capture': 10_000, 'documents': [], 'preview_chars': 20, 'sub_max_attempts': 1, 'sub_read_timeout': 5,
       'allowed_models': ['sub-model', 'root-model'], 'sub_max_tokens': None, 'marker': '@@SETUP@@'}


@pytest.fixture
def stubbed(monkeypatch):
    """boto3.client returns real clients with a Stubber attached; returns {service: stubber}."""
    real = boto3.client
    stubs = {}

    def client(service, **kwargs):
        c = real(service, aws_access_key_id='test', aws_secret_access_key='test', **kwargs)
        stubs[service] = Stubber(c)
        stubs[service].activate()
        if service in pending:
            for fn in pending[service]:
                fn(stubs[service])
        return c
    pending = {}
    monkeypatch.setattr(boto3, 'client', client)
    return pending


def converse_reply(text, stop='end_turn', tokens=(7, 3)):
    return {'output': {'message': {'role': 'assistant', 'content': [{'text': text}]}}, 'stopReason': stop,
            'usage': {'inputTokens': tokens[0], 'outputTokens': tokens[1], 'totalTokens': sum(tokens)},
            'metrics': {'latencyMs': 1}}


def test_backend_calls_converse_and_reports_usage(agentcore, stubbed):
    expected = {'modelId': 'sub-model', 'messages': [{'role': 'user', 'content': [{'text': 'hi'}]}]}
    stubbed['bedrock-runtime'] = [lambda s: s.add_response('converse', converse_reply('hello'), expected)]
    backend = agentcore['_rlm_make_backend'](dict(CFG))
    [res] = backend(['hi'], 'sub-model')
    assert res['text'] == 'hello' and res['error'] is None
    assert (res['input_tokens'], res['output_tokens']) == (7, 3)
    assert 'truncated' not in res


def test_backend_sends_max_tokens_and_marks_a_cut_reply(agentcore, stubbed):
    expected = {'modelId': 'sub-model', 'messages': [{'role': 'user', 'content': [{'text': 'long'}]}],
                'inferenceConfig': {'maxTokens': 64}}
    stubbed['bedrock-runtime'] = [lambda s: s.add_response('converse', converse_reply('partial', stop='max_tokens'), expected)]
    agentcore['_rlm_backend'] = agentcore['_rlm_make_backend'](dict(CFG, sub_max_tokens=64))
    r = agentcore.run("print(llm_query('long'))")
    assert 'partial' in r['stdout'] and 'reply cut off' in r['stdout']
    assert r['sub']['records'][0]['truncated'] is True


def test_backend_turns_a_client_error_into_an_error_string(agentcore, stubbed):
    stubbed['bedrock-runtime'] = [lambda s: s.add_client_error('converse', service_error_code='ThrottlingException',
                                                               service_message='slow down', http_status_code=429)]
    [res] = agentcore['_rlm_make_backend'](dict(CFG))(['hi'], 'sub-model')
    assert res['error'] == 'ThrottlingException: slow down'


def test_backend_refuses_a_model_outside_the_session_allowlist(agentcore, stubbed):
    backend = agentcore['_rlm_make_backend'](dict(CFG))
    with pytest.raises(PermissionError, match="'other-model' is not allowed"):
        backend(['hi'], 'other-model')


def test_backend_enforces_the_cell_budget_through_the_prelude(agentcore, stubbed):
    stubbed['bedrock-runtime'] = [lambda s: [s.add_response('converse', converse_reply('r%d' % i)) for i in range(3)]]
    agentcore['_rlm_backend'] = agentcore['_rlm_make_backend'](dict(CFG))
    r = agentcore.run("r = [llm_query('q') for _ in range(10)]\nprint(sum('cap reached' in x for x in r))",
                      budget={'calls': 3, 'allowed_models': ['sub-model']})
    assert r['stdout'] == '7\n' and r['sub']['calls'] == 3
    assert r['cap_reached'].startswith('maxSubCalls')


def test_decode_follows_the_shared_text_rule(agentcore, text_rule):
    import base64
    decode = agentcore['_rlm_decode_document']
    for case in text_rule:
        text, reason = decode(base64.b64decode(case['base64']))
        if 'text' in case:
            assert (text, reason) == (case['text'], None), case['case']
        else:
            assert (text, reason) == (None, case['reason']), case['case']


def s3_body(data):
    return {'Body': StreamingBody(io.BytesIO(data), len(data)), 'ContentLength': len(data)}


def test_documents_load_from_s3_and_bad_ones_are_named(agentcore, stubbed):
    def queue(s):
        s.add_response('get_object', s3_body(b'\xef\xbb\xbfhello'), {'Bucket': 'b', 'Key': 'k/a.txt'})
        s.add_response('get_object', s3_body(b'caf\xe9'), {'Bucket': 'b', 'Key': 'k/bad.txt'})
    stubbed['s3'] = [queue]
    cfg = dict(CFG, documents=[{'name': 'a.txt', 'uri': 's3://b/k/a.txt'}, {'name': 'bad.txt', 'uri': 's3://b/k/bad.txt'}])
    with pytest.raises(agentcore['_RlmDocumentError']) as e:
        agentcore['_rlm_load_documents'](cfg)
    assert e.value.document == 'bad.txt'
    assert str(e.value) == "document 'bad.txt' is not a text document: not valid UTF-8 (at byte 3)"


def test_document_uri_and_duplicates_are_checked(agentcore, stubbed):
    with pytest.raises(agentcore['_RlmDocumentError'], match='has no s3://bucket/key URI'):
        agentcore['_rlm_load_documents'](dict(CFG, documents=[{'name': 'x', 'uri': 'file:///etc/passwd'}]))


def test_setup_prints_one_report_line(agentcore, stubbed, capsys):
    stubbed['s3'] = [lambda s: s.add_response('get_object', s3_body(b'some text'), {'Bucket': 'b', 'Key': 'a'})]
    agentcore['_rlm_setup'](dict(CFG, documents=[{'name': 'a', 'uri': 's3://b/a'}]))
    line = capsys.readouterr().out.strip()
    assert line.startswith('@@SETUP@@')
    import json
    report = json.loads(line[len('@@SETUP@@'):])
    assert report == {'ok': True, 'documents': [{'name': 'a', 'chars': 9}], 'total_chars': 9, 'preview': 'some text'}
