/**
 * Kit of the kill tests: a loopback OpenAI-compatible model server that plays a fixed RLM script and
 * counts every request host-side (root turns, sub-call prompts), the CLI bundled once for the test run (a
 * process per run starts faster than through tsx), and process helpers: start `rlm` as its own process
 * group, SIGKILL the whole group, and list what is left of a group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const REPO = path.join(__dirname, '..', '..');

/** Deterministic PRNG (mulberry32): a round's kill moment comes from the printed seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Msg = { role: string; content?: string | null; tool_calls?: unknown[] };
interface Body { model: string; messages: Msg[]; tools?: unknown[] }

/** One request the server received. */
export interface Served {
  kind: 'root' | 'sub';
  /** Root: the turn it asks for (assistant messages so far + 1). Sub: the prompt. */
  turn?: number;
  prompt?: string;
  at: number;
  /** The reply was sent completely (false when the client went away first). */
  answered: boolean;
}

/** What the server plays: the code of each root turn, and the reply to a tool-less root call. */
export interface ServerScript {
  turns: string[];
  finalText?: string;
}

/**
 * The model server. Root requests name `rootModel`; the turn is read from the conversation (stateless, so a
 * resumed run gets the same script). Sub-calls answer `echo <prompt>` after `subLatencyMs`.
 */
export class ModelServer {
  readonly served: Served[] = [];
  private server?: Server;
  url = '';
  /** Called for every request as it arrives (kill triggers). */
  onRequest?: (s: Served) => void;
  constructor(private readonly scripts: Record<string, ServerScript>, readonly opts = { rootLatencyMs: 150, subLatencyMs: 250 }) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Requests of one kind (sub prompts or root turns). */
  subPrompts = (): string[] => this.served.filter((s) => s.kind === 'sub').map((s) => s.prompt!);
  rootTurns = (): number[] => this.served.filter((s) => s.kind === 'root').map((s) => s.turn!);

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data) as Body;
      const root = body.model === 'root-m';
      const text = (m: Msg | undefined) => (typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? ''));
      const served: Served = root
        ? { kind: 'root', turn: body.messages.filter((m) => m.role === 'assistant').length + 1, at: Date.now(), answered: false }
        : { kind: 'sub', prompt: text(body.messages[body.messages.length - 1]), at: Date.now(), answered: false };
      this.served.push(served);
      this.onRequest?.(served);
      const reply = root ? this.rootReply(body, served.turn!) : { content: `echo ${served.prompt}` };
      const finish = 'tool_calls' in reply ? 'tool_calls' : 'stop';
      const json = JSON.stringify({
        id: 'x', object: 'chat.completion', usage: { prompt_tokens: 100, completion_tokens: 10 },
        choices: [{ index: 0, message: { role: 'assistant', ...reply }, finish_reason: finish }],
      });
      setTimeout(() => {
        if (res.destroyed) return;
        res.setHeader('content-type', 'application/json');
        res.end(json, () => (served.answered = true));
      }, root ? this.opts.rootLatencyMs : this.opts.subLatencyMs);
    });
  }

  private rootReply(body: Body, turn: number): Record<string, unknown> {
    const question = text0(body.messages);
    const script = Object.entries(this.scripts).find(([key]) => question.includes(key))?.[1];
    if (!script) return { content: `no script for this question` };
    if (!body.tools) return { content: script.finalText ?? 'best answer' };
    const code = script.turns[Math.min(turn, script.turns.length) - 1];
    return { content: null, tool_calls: [{ id: `call_${turn}`, type: 'function', function: { name: 'execute_python', arguments: JSON.stringify({ code }) } }] };
  }
}

function text0(messages: Msg[]): string {
  const first = messages.find((m) => m.role === 'user');
  return typeof first?.content === 'string' ? first.content : JSON.stringify(first?.content ?? '');
}

/**
 * Bundle bin/rlm.ts with the options scripts/build.mjs uses (scripts/cli-bundle.cjs) into a temporary folder
 * whose `node_modules` links to the repository's, with the sandbox scripts next to the bundle. Resolves with
 * the bundle's path. The tests then run the current source, not a stale dist/. esbuild's service process
 * is stopped before this resolves: `buildSync` left it running (started from a worker thread, and then
 * unreaped) under the jest worker for every later test file.
 */
export async function bundleCli(): Promise<string> {
  const out = mkdtempSync(path.join(tmpdir(), 'rlm-cli-'));
  symlinkSync(path.join(REPO, 'node_modules'), path.join(out, 'node_modules'), 'dir');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cliBundleOptions } = require(path.join(REPO, 'scripts', 'cli-bundle.cjs'));
  try {
    await esbuild.build(cliBundleOptions(REPO, path.join(out, 'cli.js')));
  } finally {
    await esbuild.stop();
  }
  for (const file of filesUnder(path.join(REPO, 'lambdas'), /\.(mjs|cjs|py)$/)) copyFileSync(file, path.join(out, path.basename(file)));
  return path.join(out, 'cli.js');
}

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full, pattern);
    return pattern.test(name) ? [full] : [];
  });
}

/** A running `rlm` process (its own process group) and what it printed. */
export interface RlmProcess {
  child: ChildProcess;
  out: string;
  err: string;
  runId?: string;
  /** Resolves when it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Called with each new stderr chunk. */
  onStderr?: (all: string) => void;
}

/** Start `node cli.js ARGS` as the leader of a new process group; a guard kills the group after `guardMs`. */
export function startRlm(cli: string, args: string[], guardMs = 300_000): RlmProcess {
  const child = spawn(process.execPath, [cli, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const p: RlmProcess = { child, out: '', err: '', exited: undefined as never };
  const guard = setTimeout(() => killGroup(child), guardMs);
  child.stdout!.on('data', (d) => (p.out += String(d)));
  child.stderr!.on('data', (d) => {
    p.err += String(d);
    p.runId ??= /rlm: run (\S+) \(resume with/.exec(p.err)?.[1];
    p.onStderr?.(p.err);
  });
  p.exited = new Promise((resolve) => child.on('exit', (code, signal) => { clearTimeout(guard); resolve({ code, signal }); }));
  return p;
}

/** SIGKILL every process of the child's group (the CLI and its sandbox processes). */
export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/** Live (not zombie) processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') found.push(Number(d));
    } catch {
      // gone while reading
    }
  }
  return found;
}

/** Wait (bounded) until no process of group `pgid` is left; returns what is left after `ms`. */
export async function groupGone(pgid: number, ms = 10_000): Promise<number[]> {
  const end = Date.now() + ms;
  let left = groupMembers(pgid);
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    left = groupMembers(pgid);
  }
  return left;
}
