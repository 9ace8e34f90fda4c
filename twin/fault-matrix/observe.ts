/**
 * Runs one fault-matrix case on a started twin and checks it: what the execution, the run item, result.json,
 * the Bedrock emulator (root and sub calls answered) and the AgentCore emulator (cells handed to a kernel,
 * sessions left running) say, and the list of broken promises (empty = the row holds).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sessionNameFor } from '../../lambdas/adapters/agentcore/agentcore-sandbox';
import { itemToTurn } from '../../lambdas/adapters/dynamodb/items';
import { RECOVERED_NOTICE } from '../../lambdas/core/cell-recovery';
import { RUN_ARTIFACT_FILES, runArtifactObjectKey } from '../../lambdas/core/bucket-layout';
import type { StartedEmulators } from '../emulators';
import type { FaultSwitchboard } from '../faults';
import type { Twin } from '../twin';
import type { MatrixCase } from './cases';

/** What one row did. */
export interface Observation {
  label: string;
  status: string;
  error?: string;
  states: string[];
  /** result.json, when written. */
  result?: { status: string; answer?: string | null; error?: { name: string }; usage?: { subCalls?: number }; stopReason?: string; iterations?: number };
  runStatus: string;
  /** Turn indices recorded, in sort-key order. */
  turns: number[];
  /** Step items of a turn that was never recorded (steps of recorded turns stay, as the turn's record). */
  pendingSteps: number;
  /** Recorded cells whose result was read back from the session's cell journal (their invocation died). */
  recoveredCells: number;
  rootAnswered: number;
  subAnswered: number;

  /** The model's code of each cell handed to a kernel (decoded), in order. */
  cells: string[];
  sessions: number;
  sessionsLeftRunning: number;
  fired: number;
  elapsedMs: number;
}

/** The twin, its emulators and clients, shared by every row. */
export interface MatrixContext {
  twin: Twin;
  faults: FaultSwitchboard;
  emulators: StartedEmulators;
  s3: S3Client;
  ddb: DynamoDBClient;
  bucket: string;
  table: string;
  stateMachineArn: string;
}

/** The demo question and where its documents are uploaded. */
export const DEMO_QUESTION = 'Which service had the most incidents in the logs?';
const DOCS_PREFIX = 'documents/demo/';

/** Build the context and upload the demo documents once. */
export async function matrixContext(twin: Twin, faults: FaultSwitchboard, emulators: StartedEmulators, demoDir: string): Promise<MatrixContext> {
  const env = twin.clientEnv();
  const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
  const s3 = new S3Client({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_S3, credentials });
  const ddb = new DynamoDBClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, credentials });
  const { BucketName: bucket, TableName: table, StateMachineArn: stateMachineArn } = twin.outputs();
  for (const f of fs.readdirSync(path.join(demoDir, 'docs'))) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: DOCS_PREFIX + f, Body: fs.readFileSync(path.join(demoDir, 'docs', f)) }));
  }
  return { twin, faults, emulators, s3, ddb, bucket, table, stateMachineArn };
}

const CELL_CODE = /_rlm_run_cell\(__import__\('base64'\)\.b64decode\('([A-Za-z0-9+/=]*)'\)/;

/** Run `c` as execution `name` (unique per row) and observe it; `hangMs` bounds the wait. */
export async function runCase(ctx: MatrixContext, c: MatrixCase, name: string, hangMs = 180_000): Promise<Observation> {
  const { twin, faults, emulators } = ctx;
  faults.reset();
  for (const s of c.faults) faults.arm(s);
  const bedrockFrom = emulators.bedrock?.calls.length ?? 0;
  const t0 = Date.now();
  const e = twin.sfn.startExecution(ctx.stateMachineArn, JSON.stringify({ question: DEMO_QUESTION, documents: [`s3://${ctx.bucket}/${DOCS_PREFIX}`] }), name);
  let timer: NodeJS.Timeout | undefined;
  const hung = await Promise.race([e.done.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), hangMs); })]);
  clearTimeout(timer);
  const elapsedMs = Date.now() - t0;
  const fired = faults.fired().length;
  faults.reset(); // read the outcome without faults
  // The execution's status-change event reaches the rules' Lambdas (EndStoppedRun) as it stops: wait for them.
  const deliveries = twin.deliveries.filter((d) => d.event.detail.executionArn === e.executionArn).map((d) => d.done);
  await Promise.race([Promise.all(deliveries), new Promise((r) => { timer = setTimeout(r, hangMs); })]);
  clearTimeout(timer);
  let result: Observation['result'];
  try {
    result = JSON.parse(await (await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: runArtifactObjectKey(name, RUN_ARTIFACT_FILES.result) }))).Body!.transformToString());
  } catch (err) {
    if ((err as Error).name !== 'NoSuchKey') throw err;
  }
  const items = (await ctx.ddb.send(new QueryCommand({ TableName: ctx.table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: `RUN#${name}` } } }))).Items ?? [];
  const sks = items.map((it) => it.sk?.S ?? '');
  const turns = sks.filter((sk) => sk.startsWith('TURN#')).map((sk) => Number(sk.slice('TURN#'.length)));
  const received = (emulators.bedrock?.calls ?? []).slice(bedrockFrom);
  // A call held by a delay fault is answered after it, like any other.
  const calls = received.filter((x) => x.outcome === 'ok' || x.outcome === 'delay');
  const sessionName = sessionNameFor(name);
  const sessions = [...(emulators.agentCore?.sessions.values() ?? [])].filter((s) => s.name === sessionName);
  const cells = sessions.flatMap((s) => s.executed.map((code) => CELL_CODE.exec(code)?.[1]).filter((b): b is string => b !== undefined))
    .map((b) => Buffer.from(b, 'base64').toString('utf8'));
  return {
    label: c.label,
    status: hung ? 'still RUNNING' : e.status,
    ...(e.error ? { error: e.error } : {}),
    states: [...e.states],
    ...(result ? { result } : {}),
    runStatus: items.find((it) => it.sk?.S === 'RUN')?.status?.S ?? 'none',
    turns,
    pendingSteps: sks.filter((sk) => sk.startsWith('STEP#') && !turns.includes(Number(sk.split('#')[1]))).length,
    recoveredCells: items.filter((it) => it.sk?.S?.startsWith('TURN#')).flatMap((it) => itemToTurn(it).cells)
      .filter((cell) => cell.result.notices?.includes(RECOVERED_NOTICE)).length,
    rootAnswered: calls.filter((x) => x.role === 'root').length,
    subAnswered: calls.filter((x) => x.role === 'sub').length,

    cells,
    sessions: sessions.length,
    sessionsLeftRunning: sessions.filter((s) => s.status !== 'TERMINATED').length,
    fired,
    elapsedMs,
  };
}

/** The promises of `c` that `o` breaks (empty = the row holds), against the unfaulted run `base`. */
export function violations(c: MatrixCase, o: Observation, base: Observation): string[] {
  const out: string[] = [];
  const check = (ok: boolean, what: string) => { if (!ok) out.push(what); };
  const dupCells = o.cells.filter((code, i) => o.cells.indexOf(code) !== i);
  const consecutive = o.turns.every((t, i) => i === 0 || t === o.turns[i - 1] + 1) && (o.turns.length === 0 || o.turns[0] === base.turns[0]);
  check(c.faults.length === 0 || o.fired > 0, 'the fault never fired');
  check(consecutive, `turns ${JSON.stringify(o.turns)} have a gap or a duplicate`);
  check(dupCells.length === 0, `${dupCells.length} cell(s) executed twice`);
  const lost = c.lostReplies ?? 0;
  const rootOk = o.rootAnswered >= (c.expect.kind === 'same-answer' ? o.turns.length : 0) && o.rootAnswered <= o.turns.length + lost + (c.expect.kind === 'same-answer' ? 0 : 1);
  check(rootOk, `root model answered ${o.rootAnswered} times for ${o.turns.length} turns${lost ? ` (${lost} reply may be lost with a killed container)` : ''}`);
  check(o.recoveredCells === (c.recovered ?? 0), `${o.recoveredCells} cell(s) read back from the session journal, expected ${c.recovered ?? 0}`);
  check(o.sessionsLeftRunning === 0, `${o.sessionsLeftRunning} of ${o.sessions} session(s) left running`);
  switch (c.expect.kind) {
    case 'same-answer':
      check(o.status === 'SUCCEEDED', `execution ${o.status} ${o.error ?? ''}`.trim());
      check(o.result?.status === 'succeeded' && o.result.answer === base.result?.answer, `result.json ${o.result ? `${o.result.status}: ${String(o.result.answer).slice(0, 80)}` : 'missing'}, not the unfaulted answer`);
      check(o.runStatus === 'succeeded', `run item ${o.runStatus}`);
      check(o.turns.length === base.turns.length, `${o.turns.length} turns, the unfaulted run has ${base.turns.length}`);
      check(o.pendingSteps === 0, `${o.pendingSteps} step item(s) of an unfinished turn left`);
      check(o.cells.length === base.cells.length, `${o.cells.length} cells handed to a kernel, the unfaulted run ${base.cells.length}`);
      check(o.subAnswered === base.subAnswered, `${o.subAnswered} sub-calls answered, the unfaulted run ${base.subAnswered}`);
      check(o.result?.usage?.subCalls === base.result?.usage?.subCalls, `${o.result?.usage?.subCalls} sub-calls counted, the unfaulted run ${base.result?.usage?.subCalls}`);
      check(o.result?.usage?.subCalls === o.subAnswered, `${o.result?.usage?.subCalls} sub-calls counted, the Bedrock emulator answered ${o.subAnswered}`);
      break;
    case 'fails-recorded':
      check(o.status === 'FAILED' && o.error === c.expect.error, `execution ${o.status} ${o.error ?? ''}, expected FAILED ${c.expect.error}`);
      check(o.runStatus === 'failed', `run item ${o.runStatus}, expected failed`);
      check(c.expect.resultJson ? o.result?.status === 'failed' && o.result.error?.name === c.expect.error : o.result === undefined,
        `result.json ${o.result ? `${o.result.status} ${o.result.error?.name ?? ''}` : 'missing'}`);
      break;
    case 'aborted':
      // Nothing after the stop runs in the execution; EndStoppedRun (the status-change rule's target) ends the run.
      check(o.status === 'ABORTED', `execution ${o.status}, expected ABORTED`);
      check(o.runStatus === 'cancelled', `run item ${o.runStatus}, expected cancelled`);
      check(o.result?.status === 'cancelled' && o.result.stopReason === 'cancelled' && o.result.iterations === o.turns.length,
        `result.json ${o.result ? `${o.result.status} (${o.result.stopReason}, ${o.result.iterations} turns)` : 'missing'}, expected cancelled with the ${o.turns.length} recorded turn(s)`);
      check(o.turns.length > 0, 'no turn recorded before the stop (the row stops the execution after the 1st RootTurn)');
      break;
    case 'model-sees-loss':
      check(o.status === 'FAILED' || o.status === 'SUCCEEDED', `execution ${o.status}`);
      check(o.runStatus === (o.status === 'SUCCEEDED' ? 'succeeded' : 'failed'), `run item ${o.runStatus} for execution ${o.status}`);
      break;
  }
  return out;
}

/** `a → b ×3 → c` from the states an execution went through. */
export function statesLine(states: string[]): string {
  const parts: Array<[string, number]> = [];
  for (const s of states) {
    const last = parts[parts.length - 1];
    if (last && last[0] === s) last[1]++; else parts.push([s, 1]);
  }
  return parts.map(([s, n]) => (n > 1 ? `${s} ×${n}` : s)).join(' → ');
}

/** One markdown row: fault, execution, states, result.json, run item (turns), root/sub/cells, verdict. */
export function markdownRow(o: Observation, broken: string[]): string {
  const result = o.result ? `${o.result.status}${o.result.error?.name ? ` ${o.result.error.name}` : ''}${o.result.answer ? ', answer' : ''}` : 'none';
  return `| ${o.label} (fired ${o.fired}) | ${o.status}${o.error ? ` ${o.error}` : ''} | ${statesLine(o.states)} | ${result} | ${o.runStatus} (${o.turns.length}) | ${o.rootAnswered} / ${o.subAnswered} / ${o.cells.length} | ${o.sessions - o.sessionsLeftRunning}/${o.sessions} | ${broken.length ? `**${broken.join('; ')}**` : 'holds'} |`;
}

/** Header of {@link markdownRow}'s table. */
export const MARKDOWN_HEADER = '| fault | execution | states | result.json | run item (turns) | root / sub answered / cells run | sessions stopped | promises |\n|---|---|---|---|---|---|---|---|';
