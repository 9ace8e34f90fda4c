/**
 * The CLI keeps its own copy of the readable document prefixes (lib/storage.ts imports aws-cdk-lib,
 * which the CLI does not load); this keeps the copy equal to what the stack grants the sandbox role.
 */
import { READABLE_DOCUMENT_PREFIXES, S3_PREFIXES } from '../../lib/storage';
import { READABLE_PREFIXES, resultKeyFor, uploadPrefixFor } from '../../bin/remote/stack';

it('the CLI checks s3:// documents against the same prefixes the stack lets runs read', () => {
  expect([...READABLE_PREFIXES]).toEqual([...READABLE_DOCUMENT_PREFIXES]);
  expect(uploadPrefixFor('run-1').startsWith(S3_PREFIXES.documents)).toBe(true);
  expect(resultKeyFor('run-1', 'result.json').startsWith(S3_PREFIXES.results)).toBe(true);
});
