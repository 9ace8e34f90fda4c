/**
 * The document text rule, TypeScript side: the same fixture table the AgentCore loader's pytest checks
 * (test/python/test_agentcore_setup.py), so a document loads locally exactly when it loads on AWS.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeText } from '../../lambdas/adapters/documents/text';

interface TextRuleCase { case: string; base64: string; text?: string; reason?: string }
const table = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'text-rule.json'), 'utf8')) as { cases: TextRuleCase[] };

test('the fixture table has text and binary cases', () => {
  expect(table.cases.filter((c) => c.text !== undefined).length).toBeGreaterThan(3);
  expect(table.cases.filter((c) => c.reason !== undefined).length).toBeGreaterThan(5);
});

test.each(table.cases.map((c) => [c.case, c] as const))('%s', (_name, c) => {
  const decoded = decodeText(new Uint8Array(Buffer.from(c.base64, 'base64')));
  expect(decoded).toEqual(c.text !== undefined ? { ok: true, text: c.text } : { ok: false, reason: c.reason });
});
