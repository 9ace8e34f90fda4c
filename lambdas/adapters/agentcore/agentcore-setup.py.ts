/**
 * The Python the AgentCore adapter runs once when a session starts: the core prelude, a sub-call
 * backend (`_rlm_backend`) that calls Bedrock Converse with boto3 from inside the sandbox, and the
 * loading of the documents from S3 with boto3 (the code interpreter's execution role), so document text
 * never travels through a Lambda payload or an InvokeCodeInterpreter request.
 *
 * Values from the outside (document names and URIs, model ID, region) are embedded as one base64 JSON
 * blob, never spliced into Python source. The setup Python is lambdas/sandbox-python/agentcore_setup.py.
 */
import { PYTHON_PRELUDE } from '../../core/prelude.py';
import { SETUP_PY } from '../../sandbox-python/generated';

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
  /** Models the session's backend will call at all (the prelude also checks each cell's budget). */
  allowedModels?: string[];
  /** `inferenceConfig.maxTokens` of each sub-call (absent = the model's default). */
  subMaxOutputTokens?: number;
}

/**
 * Defines `_rlm_make_backend(cfg)` and `_rlm_load_documents(cfg)` and runs the setup, printing
 * `SETUP_REPORT_MARKER` + JSON: `{ok: true, documents: [{name, chars}], total_chars, preview}` or
 * `{ok: false, kind: 'document' | 'setup', document?, message}` when `_rlm_setup(cfg)` is called
 * (`renderSetupScript` appends the call).
 */
export { SETUP_PY };

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
    allowed_models: params.allowedModels ?? [params.subModelId],
    sub_max_tokens: params.subMaxOutputTokens ?? null,
    marker: SETUP_REPORT_MARKER,
  };
  const load = `_rlm_setup_cfg = _rlm_json.loads(__import__('base64').b64decode('${b64json(cfg)}').decode('utf-8'))`;
  return `${PYTHON_PRELUDE}\n${load}\n${SETUP_PY}\n_rlm_setup(_rlm_setup_cfg)\ndel _rlm_setup_cfg\n`;
}

/** Parsed setup report. */
export type SetupReport =
  | { ok: true; documents: Array<{ name: string; chars: number }>; total_chars: number; preview: string }
  | { ok: false; kind: 'document' | 'setup'; document?: string; message: string };
