/**
 * The loopback proxy in front of moto that every twin client (JS SDK in the Lambdas and the CLI, boto3
 * in the sandbox) talks to through `AWS_ENDPOINT_URL_*`. It forwards each request unchanged, and:
 * - injects faults at `dynamodb.PutItem`, `dynamodb.UpdateItem` (by `X-Amz-Target`) and `s3.PutObject`
 *   (PUT of an object without `x-amz-copy-source` or `uploadId`), as the real services answer them;
 * - reports each object S3 created (PutObject, CopyObject, CompleteMultipartUpload) so the twin can
 *   deliver the EventBridge "Object Created" event (moto does not deliver S3 -> EventBridge -> Lambda).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultHitter, FiredFault } from '../faults';

/** An object S3 created, as the S3 -> EventBridge notification describes it. */
export interface CreatedObjectNotice {
  bucket: string;
  key: string;
  size: number;
  etag?: string;
  versionId?: string;
  reason: 'PutObject' | 'CopyObject' | 'CompleteMultipartUpload';
}

/** Options of {@link startAwsProxy}. */
export interface AwsProxyOptions {
  /** moto's base URL. */
  target: string;
  faults?: FaultHitter;
  /** Called after S3 answered 200 to a request that created an object. */
  onObjectCreated?: (notice: CreatedObjectNotice) => void;
}

/** A running proxy. */
export interface AwsProxy {
  url: string;
  close(): Promise<void>;
}

/** The operation a request is, for fault points: `dynamodb.PutItem`, `s3.PutObject`, ... or undefined. */
export function operationOf(req: IncomingMessage): { point?: 'dynamodb.PutItem' | 'dynamodb.UpdateItem' | 's3.PutObject'; s3Create?: CreatedObjectNotice['reason']; service: string } {
  const auth = String(req.headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? '';
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target === 'DynamoDB_20120810.PutItem') return { point: 'dynamodb.PutItem', service };
  if (target === 'DynamoDB_20120810.UpdateItem') return { point: 'dynamodb.UpdateItem', service };
  if (service === 's3') {
    const url = new URL(req.url ?? '/', 'http://x');
    const segments = url.pathname.split('/').filter(Boolean);
    if (segments.length >= 2) {
      if (req.method === 'PUT' && !url.searchParams.has('uploadId') && !url.searchParams.has('tagging') && !url.searchParams.has('acl')) {
        return req.headers['x-amz-copy-source'] ? { s3Create: 'CopyObject', service } : { point: 's3.PutObject', s3Create: 'PutObject', service };
      }
      if (req.method === 'POST' && url.searchParams.has('uploadId')) return { s3Create: 'CompleteMultipartUpload', service };
    }
  }
  return { service };
}

function s3Location(req: IncomingMessage): { bucket: string; key: string } {
  const parts = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\//, '').split('/');
  return { bucket: decodeURIComponent(parts[0]), key: decodeURIComponent(parts.slice(1).join('/')) };
}

/** Answer a fired fault the way the service would; true when the request is handled (no forwarding). */
async function applyFault(fault: FiredFault, point: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const dynamo = point.startsWith('dynamodb.');
  const json = (status: number, type: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type, 'x-amzn-requestid': 'twin-fault' });
    res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
  };
  const xml = (status: number, code: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'twin-fault' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>twin-fault</RequestId></Error>`);
  };
  switch (fault.kind) {
    case 'throttle':
      if (dynamo) json(400, 'ThrottlingException', fault.message ?? 'Rate of requests exceeds the allowed throughput.');
      else xml(503, 'SlowDown', fault.message ?? 'Please reduce your request rate.');
      return true;
    case 'server-error':
      if (dynamo) json(fault.status ?? 500, 'InternalServerError', fault.message ?? 'Internal server error (twin fault)');
      else xml(fault.status ?? 500, 'InternalError', fault.message ?? 'We encountered an internal error. Please try again.');
      return true;
    case 'drop-connection':
    case 'kill':
      req.socket.destroy();
      return true;
    case 'timeout':
      if (fault.delayMs === undefined) return new Promise<boolean>(() => undefined).then(() => true); // never answers; the client gives up
      await new Promise((r) => setTimeout(r, fault.delayMs));
      req.socket.destroy();
      return true;
    case 'delay':
      await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
      return false;
    default:
      return false;
  }
}

/** Start the proxy on a free loopback port. */
export async function startAwsProxy(options: AwsProxyOptions): Promise<AwsProxy> {
  const target = new URL(options.target);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const op = operationOf(req);
      if (op.point && options.faults) {
        const detail = op.point.startsWith('s3.') ? s3Location(req).key : undefined;
        const fault = await options.faults.hit(op.point, detail);
        if (fault && await applyFault(fault, op.point, req, res)) {
          req.resume();
          return;
        }
      }
      const upstream = httpRequest({
        host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers,
      }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        if (op.s3Create && up.statusCode === 200 && options.onObjectCreated) {
          const loc = s3Location(req);
          const size = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? 0);
          up.on('end', () => options.onObjectCreated?.({
            ...loc, size, reason: op.s3Create as CreatedObjectNotice['reason'],
            ...(up.headers.etag ? { etag: String(up.headers.etag).replace(/"/g, '') } : {}),
            ...(up.headers['x-amz-version-id'] ? { versionId: String(up.headers['x-amz-version-id']) } : {}),
          }));
        }
      });
      upstream.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
      req.pipe(upstream);
    })().catch(() => { if (!res.headersSent) res.writeHead(500); res.end(); });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
