/**
 * The host describes `context` (length and preview, lambdas/core/context-layout.ts) before the sandbox
 * builds it (`_rlm_set_documents` in prelude.py): the root model's first call does not wait for the boot.
 * Here both are computed for the same documents and must agree: CPython builds the context, the host
 * describes it from each document's length and first characters only.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { codePointLength, describeContext, headCodePoints } from '../../lambdas/core/context-layout';
import { CONTEXT_PREVIEW_CHARS } from '../../lambdas/core/ports';
import { SANDBOX_PYTHON_DIR } from '../../scripts/embed-sandbox-python';

const havePython = spawnSync('python3', ['--version']).status === 0;
const withPython = havePython ? test : test.skip;

/** What CPython builds: len(context) and context[:previewChars], for each case. */
function builtByPython(cases: Array<Record<string, string>>): Array<{ total: number; preview: string }> {
  const script = [
    'import json, sys, types',
    "main = types.ModuleType('__main__'); sys.modules['__main__'] = main",
    `exec(compile(open(${JSON.stringify(path.join(SANDBOX_PYTHON_DIR, 'prelude.py'))}, encoding='utf-8').read(), 'prelude.py', 'exec'), main.__dict__)`,
    'out = []',
    "for docs in json.load(sys.stdin):",
    "    total = main.__dict__['_rlm_set_documents'](docs)",
    `    out.append({'total': total, 'preview': main.__dict__['context'][:${CONTEXT_PREVIEW_CHARS}]})`,
    "sys.stdout.write(json.dumps(out))",
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Array<{ total: number; preview: string }>;
}

const described = (docs: Record<string, string>) =>
  describeContext(Object.entries(docs).map(([name, text]) => ({ name, chars: codePointLength(text), head: headCodePoints(text, CONTEXT_PREVIEW_CHARS) })), CONTEXT_PREVIEW_CHARS);

const CASES: Array<Record<string, string>> = [
  { 'one.txt': 'x'.repeat(2000) },
  { 'short.txt': 'tiny' },
  { 'emoji.txt': '😀'.repeat(700) }, // astral characters: two UTF-16 units, one Python character
  { 'a.log': 'alpha\n'.repeat(300), 'b.txt': 'é😀 beta' },
  { 'a': 'A', 'b': 'B', 'c': 'C' }, // every document inside the preview
  { 'naïve 😀 name.md': 'é'.repeat(120), 'second.md': '😀'.repeat(999), 'third.md': 'z'.repeat(1_234_567) },
  { '': '', 'empty.txt': '' },
  { 'x.txt': 'x'.repeat(1000), 'y.txt': 'y'.repeat(999_999) }, // thousands separators in the headers
];

withPython('the described length and preview are what CPython builds, for one and several documents', () => {
  const python = builtByPython(CASES);
  CASES.forEach((docs, i) => {
    const host = described(docs);
    expect({ case: i, totalChars: host.totalChars, preview: host.preview }).toEqual({ case: i, totalChars: python[i]!.total, preview: python[i]!.preview });
  });
});

test('headCodePoints never splits a surrogate pair; codePointLength counts astral characters once', () => {
  expect(headCodePoints('😀😀😀', 2)).toBe('😀😀');
  expect(codePointLength('a😀b')).toBe(3);
  expect(codePointLength('\ud800')).toBe(1); // a lone surrogate is one code point, as in Python
});
