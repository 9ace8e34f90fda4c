/**
 * The twin's Amazon Bedrock Runtime: `Converse` (`POST /model/{modelId}/converse`) and `ConverseStream`
 * (`POST /model/{modelId}/converse-stream`, an `application/vnd.amazon.eventstream` body), with routes, error names
 * and status codes read from the service model in `@aws-sdk/client-bedrock-runtime`. Replies come from a scripted
 * model file (docs/scripted-models.md, parsed by the product's own `ScriptedModel`).
 *
 * Clients reach it only through standard endpoint configuration: `AWS_ENDPOINT_URL_BEDROCK_RUNTIME=<endpoint>`
 * (JS SDK v3 and boto3 both read it), any region, any (fake) credentials. The port speaks HTTP/1.1 (boto3) and
 * cleartext HTTP/2 (the JS SDK's bedrock-runtime client).
 *
 * Root or sub: `roles` maps model IDs to a role; an ID not listed is a sub-call when the caller is botocore
 * (user-agent `Botocore/` or `Boto3/`: the sandbox) and a root call otherwise. Fault points
 * `bedrock.converse.root` / `bedrock.converse.sub`, detail = the model ID. For ConverseStream, a fault whose `error`
 * names a stream exception member (e.g. `'modelStreamErrorException'`, `'throttlingException'`) answers 200 with a
 * `messageStart` event followed by that exception event; other faults answer before the stream.
 */
import * as runtimeModel from '@aws-sdk/client-bedrock-runtime';
import type { ModelRole } from '../../lambdas/core/ports';
import { loadScript, ScriptedModel, type Script } from '../../lambdas/adapters/models/scripted-model';
import { NO_FAULTS, type FaultHitter, type FiredFault } from '../faults';
import {
  applyConnectionFault, eventFrame, exceptionFrame, faultError, matchPath, modelledErrors, readJsonBody, routeOf, sendAwsError, sendJson,
  startEventStream, startTwinServer, TwinHttpError, writeChunk, type TwinRequest, type TwinResponse, type TwinServer,
} from '../http';
import { applyMaxTokens, fromWireRequest, toStreamEvents, toWireResponse } from './converse-wire';

/** Options of {@link startBedrockEmulator}. */
export interface BedrockEmulatorOptions {
  /** A script object, or the path of a scripted model file. */
  script: Script | string;
  /** Where faults come from (default: none). */
  faults?: FaultHitter;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Model ID -> role; IDs not listed are classified by caller (see the module doc). */
  roles?: Record<string, ModelRole>;
  /** `maxTokens` applied when a request sets none (Bedrock applies 4,096 for Anthropic models; default 4096). */
  defaultMaxTokens?: number;
}

/** One call the emulator answered or refused, for assertions. */
export interface BedrockCall {
  operation: 'Converse' | 'ConverseStream';
  modelId: string;
  role: ModelRole;
  userAgent: string;
  maxTokens: number;
  /** The exception name sent, or the fault kind applied, if any. */
  outcome: 'ok' | string;
}

/** A running Bedrock emulator. */
export interface BedrockEmulator extends TwinServer {
  /** Every call so far, in arrival order. */
  calls: BedrockCall[];
}

const CONVERSE = routeOf(runtimeModel.Converse$);
const CONVERSE_STREAM = routeOf(runtimeModel.ConverseStream$);
const ERRORS = modelledErrors(runtimeModel as unknown as Record<string, unknown>);
/** The union members of `ConverseStreamOutput` (events and exception members). */
const STREAM_MEMBERS: string[] = (runtimeModel.ConverseStreamOutput$ as unknown as unknown[])[4] as string[];
const THROTTLE_MESSAGE = 'Too many requests, please wait before trying again.';

/** The role of a call: the `roles` map, else botocore callers are the sandbox's sub-calls. */
export function callRole(modelId: string, userAgent: string, roles: Record<string, ModelRole> = {}): ModelRole {
  return roles[modelId] ?? (/\b(botocore|boto3)\//i.test(userAgent) ? 'sub' : 'root');
}

/** Starts the emulator; see the module doc. */
export async function startBedrockEmulator(options: BedrockEmulatorOptions): Promise<BedrockEmulator> {
  const source = typeof options.script === 'string' ? options.script : 'twin inline script';
  const script = typeof options.script === 'string' ? loadScript(options.script) : options.script;
  const model = new ScriptedModel(script, { source });
  const faults = options.faults ?? NO_FAULTS;
  const calls: BedrockCall[] = [];

  const handle = async (req: TwinRequest, res: TwinResponse) => {
    const path = new URL(req.url ?? '/', 'http://twin').pathname;
    const stream = req.method === CONVERSE_STREAM.method ? matchPath(CONVERSE_STREAM.uri, path) : undefined;
    const plain = req.method === CONVERSE.method ? matchPath(CONVERSE.uri, path) : undefined;
    const labels = stream ?? plain;
    if (!labels) {
      await readJsonBody(req).catch(() => undefined);
      return sendAwsError(res, 404, 'UnknownOperationException', `the twin's bedrock-runtime has no ${req.method} ${path} (it implements Converse and ConverseStream)`);
    }
    const modelId = labels.modelId;
    const userAgent = String(req.headers['user-agent'] ?? '');
    const role = callRole(modelId, userAgent, options.roles);
    const call: BedrockCall = { operation: stream ? 'ConverseStream' : 'Converse', modelId, role, userAgent, maxTokens: 0, outcome: 'ok' };
    calls.push(call);
    let body;
    try {
      body = await readJsonBody(req);
    } catch (err) {
      if (!(err instanceof TwinHttpError)) throw err;
      call.outcome = err.errorType;
      return sendAwsError(res, err.status, err.errorType, err.message);
    }
    const fault = await faults.hit(role === 'root' ? 'bedrock.converse.root' : 'bedrock.converse.sub', modelId);
    if (fault) call.outcome = fault.kind;
    if (await applyConnectionFault(fault, req)) return;
    if (stream && fault?.error && /^[a-z]/.test(fault.error)) {
      // A stream member (e.g. 'modelStreamErrorException'): the stream starts, then fails with that event.
      call.outcome = fault.error;
      startEventStream(res);
      await writeChunk(res, eventFrame('messageStart', { role: 'assistant' }));
      await writeChunk(res, exceptionFrame(streamMember(fault.error), fault.message ?? `${fault.error} injected by the twin (fault ${fault.id})`));
      return void res.end();
    }
    if (fault && (fault.kind === 'throttle' || fault.kind === 'server-error')) return sendFault(res, fault, call);

    let request;
    try {
      request = fromWireRequest(modelId, body, role);
    } catch (err) {
      if (!(err instanceof TwinHttpError)) throw err;
      call.outcome = err.errorType;
      return sendAwsError(res, err.status, err.errorType, err.message);
    }
    call.maxTokens = request.maxOutputTokens ?? options.defaultMaxTokens ?? 4096;
    const started = Date.now();
    let reply;
    try {
      reply = applyMaxTokens(await model.converse(request), call.maxTokens);
    } catch (err) {
      // The script has no answer (exhausted, no sub rule): a refusal the product cannot retry away.
      call.outcome = 'ValidationException';
      return sendAwsError(res, 400, 'ValidationException', `twin scripted model: ${(err as Error).message}`);
    }
    const latencyMs = Date.now() - started;
    if (!stream) return sendJson(res, CONVERSE.status, toWireResponse(reply, latencyMs));
    startEventStream(res);
    for (const [member, payload] of toStreamEvents(reply, latencyMs)) await writeChunk(res, eventFrame(member, payload));
    res.end();
  };

  const server = await startTwinServer(handle, options.port);
  return { ...server, calls };
}

function streamMember(member: string): string {
  if (!STREAM_MEMBERS.includes(member) || !member.endsWith('Exception')) {
    throw new Error(`${member} is not an exception member of ConverseStreamOutput (${STREAM_MEMBERS.join(', ')})`);
  }
  return member;
}

function sendFault(res: TwinResponse, fault: FiredFault, call: BedrockCall): void {
  const e = faultError(fault, ERRORS);
  call.outcome = e.name;
  sendAwsError(res, e.status, e.name, fault.message ?? (e.name === 'ThrottlingException' ? THROTTLE_MESSAGE : `${e.name} injected by the twin (fault ${fault.id})`));
}
