/**
 * dynalite (DynamoDB implemented on LevelDB) embedded on loopback: the local runner's conversation store
 * and the store tests' real DynamoDB. In memory by default, or persisted under `path`.
 *
 * dynalite has no transactions and ignores TTL; the store uses conditional single-item writes only.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { RlmError } from '../../core/errors';
import { errorName } from './errors';
import { createTableInput } from './schema';

/** dynalite could not start, or a table did not become ACTIVE in time. */
export class EmbeddedDynamoError extends RlmError {}

/** Options of `startDynalite`. */
export interface EmbeddedDynaliteOptions {
  /** LevelDB directory for persistence; in memory when absent. */
  path?: string;
  /** Region the client signs for (dynalite accepts any). Default `us-east-1`. */
  region?: string;
}

/** A running embedded dynalite. */
export interface EmbeddedDynalite {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** A client pointed at `endpoint` with dummy credentials. */
  client: DynamoDBClient;
  /** Destroy the client, drop open connections and stop the server (flushes LevelDB when persisted). */
  close(): Promise<void>;
}

type DynaliteFactory = (options: Record<string, unknown>) => Server;

/** Start dynalite on 127.0.0.1 with an ephemeral port. Tables become ACTIVE immediately. */
export async function startDynalite(options: EmbeddedDynaliteOptions = {}): Promise<EmbeddedDynalite> {
  // dynalite ships no type declarations; its default export is `(options) => http.Server`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.path });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new EmbeddedDynamoError(`dynalite failed to start: ${(err as Error).message}`, { cause: err })),
    );
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve, reject) => {
      client.destroy();
      server.close((err?: Error) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
    return closed;
  };
  return { endpoint, client, close };
}

/**
 * Create the conversation table (`createTableInput`) unless it exists, and wait until it is ACTIVE.
 * Works against dynalite and DynamoDB.
 */
export async function createConversationTable(
  client: DynamoDBClient,
  tableName: string,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (err) {
    if (errorName(err) !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (let delay = 5; ; delay = Math.min(delay * 2, 1000)) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new EmbeddedDynamoError(`table ${tableName} is still ${out.Table?.TableStatus} after waiting`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}
