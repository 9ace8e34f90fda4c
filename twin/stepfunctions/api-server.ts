/**
 * The twin's Step Functions endpoint (`AWS_ENDPOINT_URL_SFN`): the AWS JSON 1.0 protocol
 * (`X-Amz-Target: AWSStepFunctions.<Operation>`) for the operations the product calls —
 * StartExecution, DescribeExecution, ListExecutions, StopExecution — with the service's error names.
 * Shapes and error names follow `@aws-sdk/client-sfn` (the service model it is generated from).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SfnApiError, type Execution, type TwinStepFunctions } from './executions';

const epoch = (d: Date | undefined): number | undefined => d ? d.getTime() / 1000 : undefined;

function describeShape(e: Execution): Record<string, unknown> {
  return {
    executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status,
    startDate: epoch(e.startDate), ...(e.stopDate ? { stopDate: epoch(e.stopDate) } : {}),
    input: e.input, inputDetails: { included: true },
    ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}), ...(e.cause !== undefined ? { cause: e.cause } : {}),
  };
}

type Body = Record<string, unknown>;

function operation(sfn: TwinStepFunctions, op: string, body: Body): Body {
  const str = (k: string): string => {
    const v = body[k];
    if (typeof v !== 'string' || !v) throw new SfnApiError('ValidationException', `1 validation error detected: Value null at '${k}' failed to satisfy constraint: Member must not be null`);
    return v;
  };
  switch (op) {
    case 'StartExecution': {
      const e = sfn.startExecution(str('stateMachineArn'), typeof body.input === 'string' ? body.input : '{}', typeof body.name === 'string' ? body.name : undefined);
      return { executionArn: e.executionArn, startDate: epoch(e.startDate) };
    }
    case 'DescribeExecution':
      return describeShape(sfn.describe(str('executionArn')));
    case 'ListExecutions': {
      const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 100;
      const all = sfn.list(str('stateMachineArn'), typeof body.statusFilter === 'string' ? body.statusFilter : undefined);
      return {
        executions: all.slice(0, max).map((e) => ({
          executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status,
          startDate: epoch(e.startDate), ...(e.stopDate ? { stopDate: epoch(e.stopDate) } : {}),
        })),
      };
    }
    case 'StopExecution': {
      const e = sfn.stop(str('executionArn'), body.error as string | undefined, body.cause as string | undefined);
      return { stopDate: epoch(e.stopDate ?? new Date()) };
    }
    default:
      throw new SfnApiError('UnknownOperationException', `the twin's Step Functions does not implement ${op}`);
  }
}

/** A running endpoint. */
export interface SfnApiServer { url: string; close(): Promise<void> }

/** Serve `sfn` on a free loopback port. */
export async function startSfnApi(sfn: TwinStepFunctions): Promise<SfnApiServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
      let status = 200;
      let out: Body;
      try {
        out = operation(sfn, op, JSON.parse(Buffer.concat(chunks).toString() || '{}') as Body);
      } catch (err) {
        const e = err instanceof SfnApiError ? err : new SfnApiError('InternalFailure', String((err as Error)?.message ?? err));
        status = e.name === 'InternalFailure' ? 500 : 400;
        out = { __type: `com.amazonaws.swf.service.v2.model#${e.name}`, message: e.message };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'twin' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
