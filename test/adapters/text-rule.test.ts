/**
 * The document text rule, TypeScript side: the same fixture table the AgentCore loader's pytest checks
 * (test/python/test_agentcore_setup.py), so a document loads locally exactly when it loads on AWS.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { checkTextBytes, countCodePoints, decodeText, TextChecker } from '../../lambdas/adapters/documents/text';

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

// The host checks documents as bytes (never decoding them): whole (`checkTextBytes`, what a sandbox is
// handed) and in slices (`TextChecker`, how a directory is scanned), with the same verdicts as `decodeText`.
test.each(table.cases.map((c) => [c.case, c] as const))('bytes, whole and in slices of 1/2/3/5/64: %s', (_name, c) => {
  const bytes = new Uint8Array(Buffer.from(c.base64, 'base64'));
  const expected = c.text !== undefined ? { ok: true, chars: countCodePoints(c.text) } : { ok: false, reason: c.reason };
  const whole = checkTextBytes(bytes);
  expect(whole.ok ? { ok: true, chars: whole.text.chars } : whole).toEqual(expected);
  if (whole.ok) expect(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(whole.text.bytes)).toBe(c.text);
  for (const size of [1, 2, 3, 5, 64]) {
    const checker = new TextChecker();
    for (let i = 0; i < bytes.length; i += size) checker.push(bytes.subarray(i, i + size));
    expect({ size, ...checker.end() }).toEqual({ size, ...expected });
  }
});
