/**
 * The fault matrix on the twin: the demo question (examples/demo) run once per fault through the deployed
 * path, printing one markdown row per case: execution status and error, the states it went through, what
 * result.json and the run item say. `npx tsx twin/fault-matrix.ts [CASES.json]` (default: the cases below);
 * docs/twin.md records its output. A tool, not a test: it reports what happens, it asserts nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { FaultSwitchboard, type FaultSpec } from './faults';
import { twinEmulators } from './emulators';
import { REPO_ROOT } from './synth';
import { Twin } from './twin';
import { RUN_ARTIFACT_FILES, runArtifactObjectKey } from '../lambdas/core/bucket-layout';

const I = Infinity;
/** Default cases: [label, faults]. */
export const DEFAULT_CASES: Array<[string, FaultSpec[]]> = [
  ['no fault', []],
  ['root Converse throttle ×1', [{ point: 'bedrock.converse.root', kind: 'throttle' }]],
  ['root Converse throttle ×∞', [{ point: 'bedrock.converse.root', kind: 'throttle', times: I }]],
  ['root Converse 500 ×1', [{ point: 'bedrock.converse.root', kind: 'server-error' }]],
  ['root Converse drop ×1', [{ point: 'bedrock.converse.root', kind: 'drop-connection' }]],
  ['sub Converse throttle ×∞', [{ point: 'bedrock.converse.sub', kind: 'throttle', times: I }]],
  ['sub Converse 500 ×1', [{ point: 'bedrock.converse.sub', kind: 'server-error' }]],
  ['AgentCore start throttle ×1', [{ point: 'agentcore.start', kind: 'throttle' }]],
  ['InvokeCodeInterpreter before output 500 ×1', [{ point: 'agentcore.invoke.before-output', kind: 'server-error' }]],
  ['InvokeCodeInterpreter before output kill (4th cell)', [{ point: 'agentcore.invoke.before-output', kind: 'kill', afterHits: 3 }]],
  ['InvokeCodeInterpreter after output drop (2nd cell)', [{ point: 'agentcore.invoke.after-output', kind: 'drop-connection', afterHits: 1 }]],
  ['InvokeCodeInterpreter after output 500 (2nd cell)', [{ point: 'agentcore.invoke.after-output', kind: 'server-error', afterHits: 1 }]],
  ['DynamoDB PutItem throttle ×1', [{ point: 'dynamodb.PutItem', kind: 'throttle' }]],
  ['DynamoDB PutItem throttle ×∞ from the 3rd', [{ point: 'dynamodb.PutItem', kind: 'throttle', times: I, afterHits: 2 }]],
  ['DynamoDB PutItem drop (2nd)', [{ point: 'dynamodb.PutItem', kind: 'drop-connection', afterHits: 1 }]],
  ['DynamoDB UpdateItem 500 ×1', [{ point: 'dynamodb.UpdateItem', kind: 'server-error' }]],
  ['DynamoDB UpdateItem 500 ×∞ from the 3rd', [{ point: 'dynamodb.UpdateItem', kind: 'server-error', times: I, afterHits: 2 }]],
  ['S3 PutObject 500 ×1', [{ point: 's3.PutObject', kind: 'server-error' }]],
  ['S3 PutObject 500 ×∞', [{ point: 's3.PutObject', kind: 'server-error', times: I }]],
  ['between steps: delay 200 ms before every RootTurn', [{ point: 'sfn.between-steps', kind: 'delay', delayMs: 200, where: 'RootTurn', times: I }]],
  ['between steps: Lambda 5xx before FinalizeRun', [{ point: 'sfn.between-steps', kind: 'server-error', where: 'FinalizeRun' }]],
  ['between steps: execution killed before the 2nd RootTurn', [{ point: 'sfn.between-steps', kind: 'kill', where: 'RootTurn', afterHits: 1 }]],
  ['RootTurn timeout (2nd turn)', [{ point: 'lambda.RootTurn', kind: 'timeout', delayMs: 1500, afterHits: 1 }]],
  ['RootTurn container killed (2nd turn)', [{ point: 'lambda.RootTurn', kind: 'kill', delayMs: 300, afterHits: 1 }]],
  ['RootTurn throttled (Lambda 429) ×1', [{ point: 'lambda.RootTurn', kind: 'throttle' }]],
  ['FinalizeRun timeout', [{ point: 'lambda.FinalizeRun', kind: 'timeout', delayMs: 1500 }]],
];

async function main(): Promise<void> {
  const cases = process.argv[2] ? JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as Array<[string, FaultSpec[]]> : DEFAULT_CASES;
  const faults = new FaultSwitchboard();
  const demo = path.join(REPO_ROOT, 'examples', 'demo');
  const twin = await Twin.start({ faults, retryDelayOverrideMs: 0, emulators: twinEmulators({ script: path.join(demo, 'script.json'), faults }) });
  try {
    const env = twin.clientEnv();
    const creds = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
    const s3 = new S3Client({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_S3, credentials: creds });
    const ddb = new DynamoDBClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, credentials: creds });
    const { BucketName: bucket, TableName: table, StateMachineArn: arn } = twin.outputs();
    for (const f of fs.readdirSync(path.join(demo, 'docs'))) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `documents/demo/${f}`, Body: fs.readFileSync(path.join(demo, 'docs', f)) }));
    }
    console.log('| fault | execution | states | result.json | run item (turns) |\n|---|---|---|---|---|');
    for (const [i, [label, specs]] of cases.entries()) {
      faults.reset();
      for (const s of specs) faults.arm(s);
      const name = `matrix-${i}`;
      const e = twin.sfn.startExecution(arn, JSON.stringify({ question: 'Which service had the most incidents in the logs?', documents: [`s3://${bucket}/documents/demo/`] }), name);
      const hung = await Promise.race([e.done.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 120_000))]);
      let result = '—';
      try {
        const r = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: runArtifactObjectKey(name, RUN_ARTIFACT_FILES.result) }))).Body!.transformToString());
        result = `${r.status}${r.error?.name ? ` ${r.error.name}` : ''}${r.answer ? ', answer' : ''}`;
      } catch { result = 'none'; }
      const items = (await ddb.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: `RUN#${name}` } } }))).Items ?? [];
      const runStatus = items.find((it) => it.sk?.S === 'RUN')?.status?.S ?? 'none';
      const states = e.states.reduce<string[]>((acc, s) => {
        const last = acc[acc.length - 1];
        const m = last?.match(/^(\w+)(?: ×(\d+))?$/);
        if (m && m[1] === s) acc[acc.length - 1] = `${s} ×${Number(m[2] ?? 1) + 1}`; else acc.push(s);
        return acc;
      }, []).join(' → ');
      console.log(`| ${label} (fired ${faults.fired().length}) | ${hung ? 'still RUNNING after 120 s' : `${e.status}${e.error ? ` ${e.error}` : ''}`} | ${states} | ${result} | ${runStatus} (${Math.max(0, items.length - 1)}) |`);
    }
  } finally {
    await twin.close();
  }
}

if (require.main === module) main().catch((err) => { console.error(err); process.exit(1); });
