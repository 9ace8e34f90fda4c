/**
 * The S3 trigger handler at the SDK boundary: the sample EventBridge event and its variants against an
 * in-memory bucket and Step Functions (aws-sdk-client-mock), through the real S3 store and SFN starter.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_JOB_MANIFEST_BYTES, type TriggerResult } from '../../lambdas/core/batch';
import { SfnExecutionStarter } from '../../lambdas/adapters/sfn';
import { S3ObjectStore } from '../../lambdas/adapters/s3/s3-object-store';
import { createS3TriggerHandler } from '../../lambdas/handlers/s3-trigger';
import { fakeS3, fakeSfn, memoryLogger } from './batch-fakes';

const EVENTS = path.join(__dirname, '..', '..', 'events');
const sample = JSON.parse(fs.readFileSync(path.join(EVENTS, 's3-object-created.json'), 'utf8'));
const jobManifest = fs.readFileSync(path.join(EVENTS, 'job-manifest.json'), 'utf8');
const BUCKET = sample.detail.bucket.name as string;
const RUN_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Runs';

/** The sample event for another key/version. */
function eventFor(key: string, object: Record<string, unknown> = {}) {
  return { ...sample, detail: { ...sample.detail, object: { ...sample.detail.object, key, ...object } } };
}

function setup() {
  const s3 = fakeS3();
  const sfn = fakeSfn();
  const logger = memoryLogger();
  const handler = createS3TriggerHandler({
    objects: new S3ObjectStore(s3.client, BUCKET),
    starter: new SfnExecutionStarter({ client: sfn.client, stateMachineArn: RUN_ARN }),
    bucket: BUCKET, logger, now: () => Date.parse('2025-06-02T14:03:22Z'),
    watchProfiles: { contracts: { questions: ['Who are the parties?', 'When does the contract end?'], options: { maxIterations: 6 } } },
  });
  return { s3, sfn, logger, handler };
}

afterEach(() => jest.restoreAllMocks());

describe('S3 trigger: job manifests', () => {
  it('starts one run per question of events/job-manifest.json, reading the event\'s object version', async () => {
    const { s3, sfn, handler } = setup();
    s3.put('jobs/incident-review.json', jobManifest);
    const result = await handler(sample);
    expect(result.action).toBe('started');
    expect(result.runs.map((r) => r.outcome)).toEqual(['started', 'started']);
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.mock.calls()[0].args[0].input).toMatchObject({ Key: 'jobs/incident-review.json', VersionId: sample.detail.object['version-id'] });
    const calls = sfn.mock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.stateMachineArn)).toEqual([RUN_ARN, RUN_ARN]);
    expect(calls[0].name).toMatch(/^job-incident-review-[0-9a-f]{16}-q0$/);
    expect(JSON.parse(calls[1].input!)).toEqual({
      question: 'List every sev=1 incident with its date and service.',
      documents: [`s3://${BUCKET}/documents/incident-logs/`, `s3://${BUCKET}/documents/runbook.md`],
      options: { maxIterations: 12, maxCostUsd: 2 },
      tags: { team: 'sre', ticket: 'OPS-1432', trigger: 'job', source: `s3://${BUCKET}/jobs/incident-review.json`, question: '1' },
    });
  });

  it('starts nothing new for a duplicate event of the same object version', async () => {
    const { s3, sfn, handler, logger } = setup();
    s3.put('jobs/incident-review.json', jobManifest);
    const first = await handler(sample);
    const again = await handler(JSON.parse(JSON.stringify(sample)));
    expect(first.runs.map((r) => r.name)).toEqual(again.runs.map((r) => r.name));
    expect(again.runs.map((r) => r.outcome)).toEqual(['already-started', 'already-started']);
    expect(sfn.started.size).toBe(2);
    expect(logger.lines.filter((l) => l.message.includes('duplicate event'))).toHaveLength(2);
    // A new version of the manifest is a new job.
    const next = await handler(eventFor('jobs/incident-review.json', { 'version-id': 'another-version' }));
    expect(next.runs.map((r) => r.outcome)).toEqual(['started', 'started']);
    expect(sfn.started.size).toBe(4);
  });

  it('writes jobs/<name>.error.json with every reason and starts nothing for a bad manifest', async () => {
    const { s3, sfn, handler } = setup();
    s3.put('jobs/bad.json', JSON.stringify({ questions: ['ok?', ''], documents: ['results/secret.json'], options: { maxIteration: 3 } }));
    const result: TriggerResult = await handler(eventFor('jobs/bad.json'));
    expect(result).toMatchObject({ action: 'rejected', runs: [], errorRecord: 'jobs/bad.error.json' });
    expect(sfn.mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    const record = JSON.parse(s3.text('jobs/bad.error.json')!);
    expect(record).toMatchObject({ manifest: `s3://${BUCKET}/jobs/bad.json`, failedAt: '2025-06-02T14:03:22.000Z', versionId: sample.detail.object['version-id'] });
    expect(record.reasons).toEqual([
      'questions[1] must be a non-empty string',
      'unknown field "maxIteration" in "options"; did you mean maxIterations? (allowed: rootModelId, subModelId, maxIterations, rootMaxOutputTokens, maxOutputChars, cellTimeoutMs, subMaxOutputTokens, subConcurrency, maxSubCalls, maxTotalTokens, maxCostUsd, maxConsecutiveErrors)',
      'documents[0]: "results/secret.json" is outside the document prefixes (documents/, inbox/)',
    ]);
    // The failure record itself arrives as an event under jobs/: ignored, so it never loops.
    expect((await handler(eventFor('jobs/bad.error.json'))).action).toBe('ignored');
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('rejects invalid JSON and oversized manifests with a record', async () => {
    const { s3, handler } = setup();
    s3.put('jobs/broken.json', '{"question": "x", "documents": [');
    expect((await handler(eventFor('jobs/broken.json'))).reasons![0]).toMatch(/the job manifest is not valid JSON/);
    s3.put('jobs/huge.json', JSON.stringify({ question: 'x'.repeat(MAX_JOB_MANIFEST_BYTES), documents: ['documents/a'] }));
    const huge = await handler(eventFor('jobs/huge.json'));
    expect(huge.action).toBe('rejected');
    expect(JSON.parse(s3.text('jobs/huge.error.json')!).reasons[0]).toMatch(/the limit is 262144/);
  });

  it('ignores a manifest deleted before it was read, other buckets and other prefixes', async () => {
    const { sfn, handler } = setup();
    expect((await handler(eventFor('jobs/gone.json'))).reasons).toEqual(['the manifest no longer exists']);
    const other = { ...sample, detail: { ...sample.detail, bucket: { name: 'someone-elses-bucket' } } };
    expect((await handler(other)).action).toBe('ignored');
    expect((await handler(eventFor('results/run-1/result.json'))).action).toBe('ignored');
    expect(sfn.mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('throws when starting fails for another reason, so the event is retried (and dead-lettered last)', async () => {
    const { s3, sfn, handler } = setup();
    s3.put('jobs/incident-review.json', jobManifest);
    sfn.mock.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler(sample)).rejects.toThrow(/Rate exceeded/);
  });
});

describe('S3 trigger: watch folders', () => {
  it('runs the profile\'s standing questions on an uploaded inbox document', async () => {
    const { s3, sfn, handler } = setup();
    s3.put('inbox/contracts/2025/msa.txt', 'This agreement between A and B ends on 2026-01-01.');
    const result = await handler(eventFor('inbox/contracts/2025/msa.txt', { size: 51 }));
    expect(result.runs.map((r) => r.outcome)).toEqual(['started', 'started']);
    const inputs = [...sfn.started.values()] as Array<Record<string, unknown>>;
    expect(inputs.map((i) => i.question)).toEqual(['Who are the parties?', 'When does the contract end?']);
    expect(inputs[0]).toMatchObject({
      documents: [`s3://${BUCKET}/inbox/contracts/2025/msa.txt`], options: { maxIterations: 6 },
      tags: { trigger: 'inbox', profile: 'contracts', source: `s3://${BUCKET}/inbox/contracts/2025/msa.txt`, question: '0' },
    });
    expect((await handler(eventFor('inbox/contracts/2025/msa.txt', { size: 51 }))).runs.map((r) => r.outcome)).toEqual(['already-started', 'already-started']);
  });

  it('uses the URL-decoded key when only that object exists', async () => {
    const { s3, sfn, handler } = setup();
    s3.put('inbox/contracts/my file.txt', 'text');
    await handler(eventFor('inbox/contracts/my+file.txt'));
    expect(([...sfn.started.values()][0] as { documents: string[] }).documents).toEqual([`s3://${BUCKET}/inbox/contracts/my file.txt`]);
  });

  it('starts nothing for an unknown profile and logs a warning', async () => {
    const { sfn, handler, logger } = setup();
    const result = await handler(eventFor('inbox/invoices/a.txt'));
    expect(result.reasons![0]).toMatch(/no watch profile "invoices" is configured \(known: contracts\)/);
    expect(sfn.started.size).toBe(0);
    expect(logger.lines.some((l) => l.level === 'warn')).toBe(true);
  });
});
