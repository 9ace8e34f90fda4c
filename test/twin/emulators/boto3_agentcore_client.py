"""boto3 against the twin's AgentCore emulator (endpoint from AWS_ENDPOINT_URL_BEDROCK_AGENTCORE).

Starts a session, runs two code strings (state kept between them), reads one stream that a fault
(armed by the test for the third call) ends with an internalServerException event, stops the session
and prints one JSON object with what botocore parsed.
"""
import json

import boto3
from botocore.config import Config

client = boto3.client('bedrock-agentcore', region_name='us-west-2', config=Config(retries={'total_max_attempts': 1}))
ci = 'twin-ci'
started = client.start_code_interpreter_session(codeInterpreterIdentifier=ci, name='boto3', sessionTimeoutSeconds=300)
sid = started['sessionId']
out = {'createdAtType': type(started['createdAt']).__name__, 'results': []}


def run(code):
    resp = client.invoke_code_interpreter(codeInterpreterIdentifier=ci, sessionId=sid, name='executeCode',
                                          arguments={'language': 'python', 'code': code})
    out['sessionHeader'] = resp['sessionId'] == sid
    for event in resp['stream']:
        out['results'].append(event['result'])


run('y = 6 * 7')
run('print(y)')
try:
    run('print("then a failure")')
    out['streamError'] = None
except Exception as e:  # botocore raises EventStreamError for an exception event
    out['streamError'] = {'class': type(e).__name__, 'code': e.response['Error']['Code']}
got = client.get_code_interpreter_session(codeInterpreterIdentifier=ci, sessionId=sid)
out['status'] = got['status']
client.stop_code_interpreter_session(codeInterpreterIdentifier=ci, sessionId=sid)
out['stopped'] = client.get_code_interpreter_session(codeInterpreterIdentifier=ci, sessionId=sid)['status']
print(json.dumps(out, default=str))
