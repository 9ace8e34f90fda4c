"""boto3 against the twin's Bedrock emulator (endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME, as in the sandbox).

argv[1]: JSON list of exception names; each is expected as a fault armed with where=<'err-' + name>.
Prints one JSON object: the sub reply, a max_tokens cut, the stream events, and per error name the
exception class botocore raised, its error code and HTTP status.
"""
import json
import sys

import boto3
from botocore.config import Config

client = boto3.client('bedrock-runtime', region_name='eu-west-1',
                      config=Config(retries={'total_max_attempts': 1, 'mode': 'standard'}))
ask = [{'role': 'user', 'content': [{'text': 'What is 2+2?'}]}]
out = {}
resp = client.converse(modelId='sub-model', messages=ask)
out['reply'] = resp['output']['message']['content'][0]['text']
out['stopReason'] = resp['stopReason']
out['usage'] = resp['usage']
cut = client.converse(modelId='sub-model', messages=[{'role': 'user', 'content': [{'text': 'long please'}]}],
                      inferenceConfig={'maxTokens': 2})
out['cut'] = {'text': cut['output']['message']['content'][0]['text'], 'stopReason': cut['stopReason'],
              'outputTokens': cut['usage']['outputTokens']}
stream = client.converse_stream(modelId='sub-model', messages=ask)
out['stream'] = [next(iter(e.keys())) for e in stream['stream']]
out['errors'] = {}
for name in json.loads(sys.argv[1]):
    try:
        client.converse(modelId='err-' + name, messages=ask)
        out['errors'][name] = 'no error'
    except client.exceptions.ClientError as e:
        out['errors'][name] = {'class': type(e).__name__, 'code': e.response['Error']['Code'],
                               'status': e.response['ResponseMetadata']['HTTPStatusCode'],
                               'modelled': isinstance(e, getattr(client.exceptions, name))}
print(json.dumps(out))
