/**
 * The Python the AgentCore adapter runs once when a session starts: the core prelude, a sub-call
 * backend (`_rlm_backend`) that calls Bedrock Converse with boto3 from inside the sandbox, and the
 * loading of the documents from S3 with boto3 (the code interpreter's execution role), so document text
 * never travels through a Lambda payload or an InvokeCodeInterpreter request.
 *
 * Values from the outside (document names and URIs, model ID, region) are embedded as one base64 JSON
 * blob, never spliced into Python source.
 */
import { PYTHON_PRELUDE } from '../../core/prelude.py';

/** Marker printed before the JSON setup report (one line). */
export const SETUP_REPORT_MARKER = '__RLM_SETUP_REPORT__';

/** Everything the setup script needs, embedded as JSON. */
export interface SetupParams {
  /** Region of the Bedrock Runtime client used for sub-calls. */
  region: string;
  /** Region of the S3 client that reads the documents. */
  s3Region: string;
  subModelId: string;
  subConcurrency: number;
  maxCaptureChars: number;
  /** Documents in load order; `uri` is `s3://bucket/key`. */
  documents: Array<{ name: string; uri: string }>;
  /** Characters of `context` returned as the preview. */
  previewChars: number;
  /** botocore `total_max_attempts` (first try included) of the Bedrock client, adaptive retry mode. */
  subMaxAttempts: number;
  /** botocore `read_timeout` of the Bedrock client, seconds. */
  subReadTimeoutSeconds: number;
}

/**
 * Defines `_rlm_make_backend(cfg)` and `_rlm_load_documents(cfg)` and runs the setup, printing
 * `SETUP_REPORT_MARKER` + JSON: `{ok: true, documents: [{name, chars}], total_chars, preview}` or
 * `{ok: false, kind: 'document' | 'setup', document?, message}`. Expects `_rlm_setup_cfg` to be defined.
 */
export const SETUP_PY = String.raw`
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

    def one(prompt, model):
        t0 = time.time()
        try:
            resp = client().converse(modelId=model, messages=[{'role': 'user', 'content': [{'text': prompt}]}])
            blocks = ((resp.get('output') or {}).get('message') or {}).get('content') or []
            text = ''.join(b['text'] for b in blocks if isinstance(b, dict) and isinstance(b.get('text'), str))
            usage = resp.get('usage') or {}
            return {'text': text, 'error': None, 'input_tokens': int(usage.get('inputTokens') or 0),
                    'output_tokens': int(usage.get('outputTokens') or 0), 'ms': int((time.time() - t0) * 1000)}
        except Exception as e:
            return {'text': '', 'error': _rlm_describe_exc(e), 'input_tokens': 0, 'output_tokens': 0,
                    'ms': int((time.time() - t0) * 1000)}

    def backend(prompts, model):
        if not model:
            raise ValueError('no sub-model configured; pass model=')
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
        nul = data.find(b'\x00')
        if nul != -1:
            raise _RlmDocumentError(name, 'is not a text document: binary content (NUL byte at offset ' + str(nul) + ')')
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError as e:
            raise _RlmDocumentError(name, 'is not a text document: not valid UTF-8 (at byte ' + str(e.start) + ')')
        del data
        if text.startswith('\ufeff'):
            text = text[1:]
        docs[name] = text
    return docs


def _rlm_setup(cfg):
    try:
        _rlm_configure(cfg['sub_model'], cfg['sub_concurrency'], cfg['capture'])
        globals()['_rlm_backend'] = _rlm_make_backend(cfg)
        docs = _rlm_load_documents(cfg)
        names = list(docs)
        total = _rlm_set_documents(docs)
        report = {'ok': True, 'documents': [{'name': n, 'chars': len(docs[n])} for n in names],
                  'total_chars': total, 'preview': context[:int(cfg['preview_chars'])]}
    except _RlmDocumentError as e:
        report = {'ok': False, 'kind': 'document', 'document': e.document, 'message': str(e)}
    except Exception as e:
        report = {'ok': False, 'kind': 'setup', 'message': _rlm_describe_exc(e)}
    print(cfg['marker'] + _rlm_json.dumps(report))


_rlm_setup(_rlm_setup_cfg)
del _rlm_setup_cfg
`;

/** Base64 of the UTF-8 JSON of `value` (safe to embed in a Python string literal). */
function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

/**
 * Render the whole setup cell: prelude, then the configuration as base64 JSON, then `SETUP_PY`.
 * No outside value is concatenated into Python source except as base64 characters.
 */
export function renderSetupScript(params: SetupParams): string {
  const cfg = {
    region: params.region,
    s3_region: params.s3Region,
    sub_model: params.subModelId,
    sub_concurrency: params.subConcurrency,
    capture: params.maxCaptureChars,
    documents: params.documents.map((d) => ({ name: d.name, uri: d.uri })),
    preview_chars: params.previewChars,
    sub_max_attempts: params.subMaxAttempts,
    sub_read_timeout: params.subReadTimeoutSeconds,
    marker: SETUP_REPORT_MARKER,
  };
  const load = `_rlm_setup_cfg = _rlm_json.loads(__import__('base64').b64decode('${b64json(cfg)}').decode('utf-8'))`;
  return `${PYTHON_PRELUDE}\n${load}\n${SETUP_PY}`;
}

/** Parsed setup report. */
export type SetupReport =
  | { ok: true; documents: Array<{ name: string; chars: number }>; total_chars: number; preview: string }
  | { ok: false; kind: 'document' | 'setup'; document?: string; message: string };
