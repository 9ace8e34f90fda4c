/**
 * The one loopback OpenAI-compatible server both implementations talk to in `bench/peer.ts`.
 *
 * A root request (it carries a system message) is answered with the next scripted ```repl block; a sub
 * request (a single user message) after `subDelayMs` with a short reply. The server timestamps what the
 * bench measures: when each root request arrived and its reply was sent, the first sub request, and
 * any `PEER_MS=<n>` figure the executed code printed (it comes back inside the next root request).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one scripted run looks like. */
export interface PeerScript {
  /** Code of turns 1..n-1 (one entry is reused for every turn when shorter than `turns - 1`). */
  code: string[];
  /** Code of the last turn: it must end the run in the implementation's own dialect. */
  finalCode: string;
  /** Total root turns, the final one included. */
  turns: number;
  /** Delay of each sub-call reply. */
  subDelayMs: number;
  /** Delay of the first root reply (default 0): the time a real root model takes before the first cell. */
  firstReplyDelayMs?: number;
}

/** Timestamps (ms, `performance.timeOrigin`-based, comparable across the bench process) of one run. */
export interface PeerTrace {
  rootArrivals: number[];
  rootReplies: number[];
  firstSubArrival?: number;
  subCalls: number;
  /** `PEER_MS=<n>` values found in root requests, in order. */
  reported: number[];
}

const now = () => performance.timeOrigin + performance.now();

/** Called as each root request arrives (0-based `k`), before its reply is sent (outside the measured gaps). */
export type RootArrivalHook = (k: number) => void;

/** A running fake server; `arm()` installs the script of the next run and returns its trace. */
export interface FakeServer {
  baseUrl: string;
  arm(script: PeerScript, onRootArrival?: RootArrivalHook): PeerTrace;
  close(): Promise<void>;
}

interface ChatBody {
  model?: string;
  messages?: Array<{ role?: string; content?: unknown }>;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'object' && p && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  return '';
}

function completion(model: string, content: string): string {
  return JSON.stringify({
    id: 'peer', object: 'chat.completion', created: 0, model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  });
}

/** Start the server on 127.0.0.1 (a free port). */
export async function startFakeServer(): Promise<FakeServer> {
  let script: PeerScript | undefined;
  let trace: PeerTrace | undefined;
  let hook: RootArrivalHook | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrived = now();
      let body: ChatBody = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBody;
      } catch {
        res.writeHead(400).end('bad json');
        return;
      }
      const messages = body.messages ?? [];
      const model = body.model ?? 'peer';
      const send = (content: string) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completion(model, content));
      };
      if (!script || !trace) {
        res.writeHead(503).end('not armed');
        return;
      }
      const isRoot = messages.some((m) => m.role === 'system');
      if (!isRoot) {
        trace.subCalls += 1;
        trace.firstSubArrival ??= arrived;
        setTimeout(() => send('ok'), script.subDelayMs);
        return;
      }
      const all = messages.map((m) => textOf(m.content)).join('\n');
      const found = [...all.matchAll(/PEER_MS=(\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]));
      if (found.length > trace.reported.length) trace.reported.push(...found.slice(trace.reported.length));
      const k = trace.rootArrivals.length;
      trace.rootArrivals.push(arrived);
      hook?.(k);
      const last = k + 1 >= script.turns;
      const code = last ? script.finalCode : script.code[Math.min(k, script.code.length - 1)]!;
      const reply = () => {
        send(`Turn ${k + 1}.\n\`\`\`repl\n${code}\n\`\`\``);
        trace!.rootReplies.push(now());
      };
      if (k === 0 && script.firstReplyDelayMs) setTimeout(reply, script.firstReplyDelayMs);
      else reply();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    arm(s, onRootArrival) {
      script = s;
      hook = onRootArrival;
      trace = { rootArrivals: [], rootReplies: [], subCalls: 0, reported: [] };
      return trace;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
