import {
  batchItemRunName, bucketDocumentResolver, describeStepFailure, executionName, isValidExecutionName, jobErrorKey, jobRunName,
  keyCandidates, ManifestError, parseBatchManifest, parseJobManifest, parseObjectCreatedEvent, parseWatchProfilesJson, percentile,
  planInboxRuns, planJobRuns, resultLineFromRecord, resultLineFromSummary, routeKey, serializeWatchProfiles, summarizeBatch,
  toJsonLines, TriggerEventError, validateWatchProfiles, type BatchResultLine,
} from '../../lambdas/core/batch';
import { ConfigError } from '../../lambdas/core/errors';
import type { RunSummary } from '../../lambdas/core/types';
import s3Event from '../../events/s3-object-created.json';

const BUCKET = 'rlm-pipeline-bucket-example';
const resolve = bucketDocumentResolver(BUCKET);

function reasonsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ManifestError) return err.reasons;
    throw err;
  }
  throw new Error('expected a ManifestError');
}

describe('execution names', () => {
  const obj = { bucket: BUCKET, key: 'jobs/Quarterly Review (final).json', versionId: 'v1', etag: 'e1' };
  it('are deterministic, distinct per question and version, valid and at most 80 characters', () => {
    expect(jobRunName(obj, 0)).toBe(jobRunName(obj, 0));
    expect(jobRunName(obj, 0)).not.toBe(jobRunName(obj, 1));
    expect(jobRunName(obj, 0)).not.toBe(jobRunName({ ...obj, versionId: 'v2' }, 0));
    expect(jobRunName({ ...obj, versionId: undefined }, 0)).not.toBe(jobRunName({ ...obj, versionId: undefined, etag: 'e2' }, 0));
    const long = executionName('inbox', 'x'.repeat(500) + ' ü/ä:*?', [BUCKET, 'k'], 'q12');
    for (const name of [jobRunName(obj, 3), long, batchItemRunName('a'.repeat(120), 9999)]) {
      expect(isValidExecutionName(name)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(80);
    }
    expect(jobRunName(obj, 0)).toMatch(/^job-quarterly-review-final-[0-9a-f]{16}-q0$/);
  });
});

describe('S3 events and keys', () => {
  it('reads the sample EventBridge event', () => {
    expect(parseObjectCreatedEvent(s3Event)).toEqual({
      bucket: BUCKET, key: 'jobs/incident-review.json', size: 412, etag: 'b1946ac92492d2347c6235b4d2611184',
      versionId: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY', sequencer: '00683DAF79C3A8B1E2',
    });
    expect(() => parseObjectCreatedEvent({ ...s3Event, 'detail-type': 'Object Deleted' })).toThrow(TriggerEventError);
    expect(() => parseObjectCreatedEvent({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'b' } } })).toThrow(/key is missing/);
  });
  it('routes job manifests and inbox documents, ignoring failure records and everything else', () => {
    expect(routeKey('jobs/a.json')).toEqual({ kind: 'job' });
    expect(routeKey('jobs/team/a.json')).toEqual({ kind: 'job' });
    expect(routeKey('jobs/a.error.json').kind).toBe('ignore');
    expect(routeKey('jobs/a.txt').kind).toBe('ignore');
    expect(routeKey('inbox/contracts/2025/msa.txt')).toEqual({ kind: 'inbox', profile: 'contracts' });
    expect(routeKey('inbox/loose.txt').kind).toBe('ignore');
    expect(routeKey('inbox/contracts/').kind).toBe('ignore');
    expect(routeKey('documents/a.txt').kind).toBe('ignore');
    expect(jobErrorKey('jobs/team/a.json')).toBe('jobs/team/a.error.json');
  });
  it('offers the URL-decoded key as a fallback', () => {
    expect(keyCandidates('jobs/a.json')).toEqual(['jobs/a.json']);
    expect(keyCandidates('inbox/p/my+file%281%29.txt')).toEqual(['inbox/p/my+file%281%29.txt', 'inbox/p/my file(1).txt']);
  });
});

describe('job manifests', () => {
  it('accepts question or questions with keys, prefixes and s3 URIs in this bucket', () => {
    const m = parseJobManifest(JSON.stringify({
      questions: [' Q1? ', 'Q2?'], documents: ['documents/a.txt', 'inbox/team/', `s3://${BUCKET}/documents/b.md`],
      options: { maxIterations: 5 }, tags: { team: 'sre' },
    }), resolve);
    expect(m.questions).toEqual(['Q1?', 'Q2?']);
    expect(m.documents).toEqual([`s3://${BUCKET}/documents/a.txt`, `s3://${BUCKET}/inbox/team/`, `s3://${BUCKET}/documents/b.md`]);
    const runs = planJobRuns(m, { bucket: BUCKET, key: 'jobs/x.json', versionId: 'v' });
    expect(runs).toHaveLength(2);
    expect(runs[1].request).toEqual({
      question: 'Q2?', documents: m.documents, options: { maxIterations: 5 },
      tags: { team: 'sre', trigger: 'job', source: `s3://${BUCKET}/jobs/x.json`, question: '1' },
    });
  });
  it('lists every problem of a bad manifest', () => {
    expect(reasonsOf(() => parseJobManifest('{"question": "x", ', resolve))[0]).toMatch(/not valid JSON/);
    const reasons = reasonsOf(() => parseJobManifest(JSON.stringify({
      documents: ['results/x.json', 's3://other-bucket/documents/a.txt', 'documents/../jobs/a.json', 'https://example.com/a'],
      options: { maxIteration: 3 }, color: 'red',
    }), resolve));
    expect(reasons.join('\n')).toMatch(/unknown field "color"/);
    expect(reasons.join('\n')).toMatch(/needs "question"/);
    expect(reasons.join('\n')).toMatch(/documents\[0\]: "results\/x.json" is outside the document prefixes \(documents\/, inbox\/\)/);
    expect(reasons.join('\n')).toMatch(/documents\[1\]: .* is in bucket other-bucket/);
    expect(reasons.join('\n')).toMatch(/documents\[2\]: .*"\." or "\.\." segments/);
    expect(reasons.join('\n')).toMatch(/documents\[3\]: .*not a key or an s3:\/\/ URI/);
    expect(reasons.join('\n')).toMatch(/unknown field "maxIteration" in "options"; did you mean maxIterations\?/);
    expect(reasonsOf(() => parseJobManifest(JSON.stringify({ question: '  ', documents: [] }), resolve))).toEqual([
      '"question" must be a non-empty string', '"documents" must be a non-empty array of keys, prefixes ending in "/", or URIs',
    ]);
  });
  it('names the field of every problem the schema finds (the schema is the validator)', () => {
    const reasons = (manifest: unknown) => reasonsOf(() => parseJobManifest(JSON.stringify(manifest), resolve));
    expect(reasons({ question: 'q', questions: ['a'], documents: ['documents/a'] })).toEqual([
      'the job manifest needs "question" (a string) or "questions" (an array of strings), not both',
    ]);
    expect(reasons({ questions: Array(101).fill('q'), documents: ['documents/a'] })).toEqual(['"questions" has 101 questions; at most 100 per job manifest']);
    expect(reasons({ questions: ['ok', ' '], documents: ['documents/a', 7], tags: { n: 1 } })).toEqual([
      'questions[1] must be a non-empty string', 'documents[1] must be a URI string or {"uri": ..., "name": ...}', 'tags.n must be a string',
    ]);
    expect(reasons({ question: 'q', documents: ['documents/a'], options: { maxIterations: 0, maxCostUsd: 'x' } })).toEqual([
      'options.maxIterations must be at least 1', 'options.maxCostUsd must be a number',
    ]);
    expect(reasons([1, 2])).toEqual(['the job manifest must be a JSON object']);
    expect(parseJobManifest(JSON.stringify({ question: ' q ', documents: [{ uri: 'documents/a', name: 'A' }] }), resolve))
      .toEqual({ questions: ['q'], documents: [{ uri: `s3://${BUCKET}/documents/a`, name: 'A' }] });
  });
});

describe('watch profiles', () => {
  it('validates, serialises within the size limit and plans one run per standing question', () => {
    const profiles = validateWatchProfiles({ contracts: { questions: ['Who signs?', 'When does it end?'], options: { maxIterations: 4 } } });
    expect(parseWatchProfilesJson(serializeWatchProfiles(profiles))).toEqual(profiles);
    const runs = planInboxRuns('contracts', profiles.contracts, { bucket: BUCKET, key: 'inbox/contracts/msa.txt', etag: 'e' });
    expect(runs.map((r) => r.request.documents)).toEqual([[`s3://${BUCKET}/inbox/contracts/msa.txt`], [`s3://${BUCKET}/inbox/contracts/msa.txt`]]);
    expect(runs[0].name).toMatch(/^inbox-contracts-msa-txt-[0-9a-f]{16}-q0$/);
    expect(() => validateWatchProfiles({ 'bad name': { questions: [] }, ok: { questions: ['q'], options: { nope: 1 } } })).toThrow(ConfigError);
    expect(() => validateWatchProfiles({ 'bad name': { questions: ['q'] }, ok: { questions: [], options: { maxIteration: 1 } }, x: 'q' })).toThrow(
      'watchProfiles["bad name"] is not a valid name: profile names are 1-40 letters, digits, "_" or "-" (the folder under inbox/); '
      + 'watchProfiles.ok.questions must be a non-empty array of non-empty strings; '
      + 'unknown field "maxIteration" in watchProfiles.ok.options; did you mean maxIterations?',
    );
    expect(() => validateWatchProfiles({ x: 'q' })).toThrow('watchProfiles.x must be an object {questions, options?}');
    expect(() => validateWatchProfiles(['q'])).toThrow('watchProfiles must be an object of profile name -> {questions, options?}');
    expect(() => serializeWatchProfiles({ big: { questions: ['x'.repeat(4000)] } })).toThrow(/limit is 3072/);
    expect(parseWatchProfilesJson(undefined)).toEqual({});
  });
});

describe('batch manifests', () => {
  it('turns every non-blank line into an item, invalid ones with reasons', () => {
    const text = [
      '{"id": "a", "question": "Q1", "documents": ["documents/a.txt"]}',
      '',
      'not json',
      '{"id": "b", "question": "", "documents": ["documents/a.txt"]}',
      '{"id": "c", "question": "Q3"}',
      '{"id": "a", "question": "Q4", "documents": ["documents/a.txt"]}',
      '{"question": "Q5", "documents": ["documents/a.txt"], "options": {"turns": 2}}',
      '{"id": 7, "question": "Q6", "documents": ["documents/a.txt"], "tags": {"k": "v"}}',
    ].join('\n');
    const items = parseBatchManifest(text, { batchId: 'm-1', resolveDocument: resolve });
    expect(items.map((i) => [i.index, i.line, i.id, Boolean(i.request)])).toEqual([
      [0, 1, 'a', true], [1, 3, 'line-3', false], [2, 4, 'b', false], [3, 5, 'c', false], [4, 6, 'a', false], [5, 7, 'line-7', false], [6, 8, '7', true],
    ]);
    expect(items[1].error).toMatch(/line 3 is not valid JSON/);
    expect(items[2].error).toBe('"question" must be a non-empty string');
    expect(items[3].error).toMatch(/"documents" must be a non-empty array/);
    expect(items[4].error).toMatch(/duplicate id "a"/);
    expect(items[5].error).toMatch(/^unknown field "turns" in "options" \(allowed: rootModelId, /);
    expect(items[0].request).toEqual({ question: 'Q1', documents: [`s3://${BUCKET}/documents/a.txt`], options: {}, tags: { trigger: 'batch', batch: 'm-1', item: 'a' } });
    expect(items[6].request!.tags).toEqual({ k: 'v', trigger: 'batch', batch: 'm-1', item: '7' });
    expect(items[6].runId).toBe('b-m-1-6');
    const capped = parseBatchManifest('{"id":1,"question":"q","documents":["documents/a"]}\n{"id":2,"question":"q","documents":["documents/a"]}', { batchId: 'x', resolveDocument: resolve, maxItems: 1 });
    expect(capped[1].error).toMatch(/more than 1 items/);
  });
});

describe('results and summary', () => {
  const summary = (over: Partial<RunSummary> = {}): RunSummary => ({
    runId: 'r1', status: 'succeeded', answer: '42', stopReason: 'final', iterations: 2, costUsd: 0.01, elapsedMs: 1500,
    usage: { rootInputTokens: 100, rootOutputTokens: 10, rootCacheReadTokens: 5, rootCacheWriteTokens: 0, subInputTokens: 50, subOutputTokens: 5, subCalls: 1 },
    ...over,
  });
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 90), percentile(values, 99), percentile(values, 100)]).toEqual([50, 90, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
  it('builds lines from run summaries and failures, and summarises them', () => {
    const ok = resultLineFromSummary({ index: 0, id: 'a' }, summary());
    expect(ok).toEqual({
      id: 'a', index: 0, status: 'succeeded', runId: 'r1', answer: '42', stopReason: 'final', error: null, iterations: 2,
      inputTokens: 155, outputTokens: 15, totalTokens: 170, costUsd: 0.01, latencyMs: 1500,
    });
    const failedRun = resultLineFromSummary({ index: 1, id: 'b' }, summary({ status: 'failed', answer: null, stopReason: 'error', error: { name: 'DocumentError', message: 'cannot read x' } }));
    expect(failedRun.error).toBe('DocumentError: cannot read x');
    const lines: BatchResultLine[] = [failedRun, ok, resultLineFromRecord({ index: 2, id: 'c', runId: 'b-x-2' }, undefined, undefined)];
    const s = summarizeBatch(lines, { batchId: 'x', manifest: 'm' });
    expect(s).toMatchObject({ items: 3, succeeded: 1, failed: 2, answered: 1, successRate: 0.3333, tokens: { input: 310, output: 30, total: 340 }, costUsd: 0.02 });
    expect(s.latencyMs).toMatchObject({ p50: 1500, p90: 1500, p99: 1500 });
    expect(s.failures.map((f) => f.id)).toEqual(['b', 'c']);
    expect(toJsonLines(lines).split('\n').filter(Boolean).map((l) => JSON.parse(l).id)).toEqual(['a', 'b', 'c']);
  });
  it('reads item records written by the batch machine', () => {
    const item = { index: 3, id: 'd', runId: 'b-x-3' };
    const withResult = resultLineFromRecord(item, { output: { runId: 'b-x-3', status: 'succeeded' }, startDate: 1_700_000_000_000, stopDate: 1_700_000_004_250 }, summary({ runId: 'b-x-3', elapsedMs: undefined }));
    expect(withResult).toMatchObject({ status: 'succeeded', latencyMs: 4250, answer: '42' });
    const cause = JSON.stringify({ error: 'DocumentError', cause: 'cannot read s3://b/documents/missing.txt: NoSuchKey' });
    expect(resultLineFromRecord(item, { Error: 'States.TaskFailed', Cause: cause }, undefined).error).toBe('DocumentError: cannot read s3://b/documents/missing.txt: NoSuchKey');
    expect(describeStepFailure({ Error: 'StepFunctions.ExecutionAlreadyExistsException', Cause: 'exists' })).toMatch(/another batch execution/);
    expect(resultLineFromRecord(item, undefined, undefined).error).toMatch(/no record of this item/);
  });
});
