/**
 * The fault switchboard across processes (see twin/faults.ts, "Across processes"): {@link serveFaultControl}
 * serves one board on loopback, {@link FaultClient} reaches it from a child process, {@link faultsFromEnv}
 * picks what a child uses from its environment. Test infrastructure only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultSwitchboard, NO_FAULTS, parseFaultSpec, type FaultHitter, type FaultPoint, type FaultSpec, type FiredFault } from './faults';

/** A running control endpoint. */
export interface FaultControl {
  /** `http://127.0.0.1:PORT` — put it in `RLM_TWIN_FAULTS_URL` for child processes. */
  endpoint: string;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/** JSON cannot hold Infinity: `times: Infinity` travels as `-1`. */
const toWire = (v: unknown) => JSON.stringify(v, (_k, x) => (x === Infinity ? -1 : x));

/** Serves `board` on loopback so other processes can arm faults and report hits. */
export async function serveFaultControl(board: FaultSwitchboard, port = 0): Promise<FaultControl> {
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(toWire(body));
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      try {
        if (url.pathname === '/hit' && req.method === 'POST') {
          const body = (await readJson(req)) as { point?: unknown; detail?: unknown } | undefined;
          if (typeof body?.point !== 'string') return send(400, { message: 'POST /hit needs a JSON body { point, detail? }' });
          const detail = typeof body.detail === 'string' ? body.detail : undefined;
          return send(200, { fault: board.hit(body.point as FaultPoint, detail) ?? null });
        }
        if (url.pathname === '/faults' && req.method === 'GET') return send(200, { armed: board.list(), hits: board.hits(), fired: board.fired() });
        if (url.pathname === '/faults' && req.method === 'POST') {
          const body = await readJson(req);
          const specs = (Array.isArray(body) ? body : [body]).map(parseFaultSpec);
          return send(200, { ids: specs.map((s) => board.arm(s)) });
        }
        if (url.pathname === '/faults' && req.method === 'DELETE') { board.reset(); return send(200, {}); }
        const one = /^\/faults\/([^/]+)$/.exec(url.pathname);
        if (one && req.method === 'DELETE') return send(board.disarm(decodeURIComponent(one[1])) ? 200 : 404, {});
        return send(404, { message: `no route ${req.method} ${url.pathname}` });
      } catch (err) {
        return send(400, { message: (err as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** The switchboard seen from another process, through its control endpoint. */
export class FaultClient implements FaultHitter {
  constructor(readonly endpoint: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(this.endpoint + path, {
      method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: toWire(body) } : {}),
    });
    const json = (await res.json()) as { message?: string };
    if (!res.ok) throw new Error(`fault control ${method} ${path}: ${res.status} ${json.message ?? ''}`);
    return json;
  }

  async hit(point: FaultPoint, detail?: string): Promise<FiredFault | undefined> {
    const { fault } = await this.call('POST', '/hit', { point, detail });
    return fault ? { ...fault, ...(fault.times === -1 ? { times: Infinity } : {}) } : undefined;
  }

  async arm(spec: FaultSpec | FaultSpec[]): Promise<string[]> {
    return (await this.call('POST', '/faults', spec)).ids;
  }

  async disarm(id: string): Promise<void> {
    await this.call('DELETE', `/faults/${encodeURIComponent(id)}`);
  }

  async reset(): Promise<void> {
    await this.call('DELETE', '/faults');
  }

  async state(): Promise<{ armed: Array<FaultSpec & { id: string; fired: number }>; hits: Record<string, number>; fired: FiredFault[] }> {
    return this.call('GET', '/faults');
  }
}

/** Environment variable names, for the process that starts children. */
export const FAULTS_URL_ENV = 'RLM_TWIN_FAULTS_URL';
export const FAULTS_JSON_ENV = 'RLM_TWIN_FAULTS';

/** The switchboard a child process should use, from its environment (see the module doc); none set: {@link NO_FAULTS}. */
export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): FaultHitter {
  const url = env[FAULTS_URL_ENV];
  if (url) return new FaultClient(url);
  const json = env[FAULTS_JSON_ENV];
  if (!json) return NO_FAULTS;
  let raw: unknown;
  try { raw = JSON.parse(json); } catch (err) { throw new TypeError(`${FAULTS_JSON_ENV} is not JSON: ${(err as Error).message}`); }
  const board = new FaultSwitchboard();
  for (const spec of Array.isArray(raw) ? raw : [raw]) board.arm(parseFaultSpec(spec));
  return board;
}
