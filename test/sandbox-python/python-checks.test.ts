/**
 * The sandbox Python, checked on CPython from `npm test`: every file compiles, pyflakes finds nothing
 * (each file linted as it runs: the AgentCore setup together with the prelude it runs after), and the
 * pytest suite in test/python passes. Skipped with a clear message only when python3 or pytest is
 * missing (CI has both); pyflakes comes from Debian's pyflakes3, which .ci/run installs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EMBEDDED_FILES, embeddedSource, SANDBOX_PYTHON_DIR } from '../../scripts/embed-sandbox-python';

const root = path.join(__dirname, '..', '..');
const run = (cmd: string, args: string[], timeout = 240_000) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout });

const pytestProbe = run('python3', ['-c', 'import pytest, boto3, botocore'], 30_000);
const havePython = pytestProbe.status === 0;
if (!havePython) console.warn(`skipping the CPython checks of the sandbox Python: python3 with pytest and boto3 is not available (${(pytestProbe.stderr || String(pytestProbe.error)).trim()})`);
const haveFlakes = run('pyflakes3', ['--version'], 30_000).status === 0;
if (!haveFlakes) console.warn('skipping pyflakes: pyflakes3 is not installed (apt-get install -y pyflakes3; .ci/run does this)');
const withPython = havePython ? test : test.skip;

const PRELUDE_FILES = EMBEDDED_FILES.find((f) => f.name === 'PYTHON_PRELUDE')!.files;

/** Sources as the sandboxes run them: the prelude's files together, the AgentCore setup after the prelude. */
function lintUnits(): Array<{ name: string; text: string }> {
  return EMBEDDED_FILES.map(({ name, files }) => ({
    name: `${name}.py`,
    text: name === 'SETUP_PY' ? `${embeddedSource(PRELUDE_FILES)}\n${embeddedSource(files)}` : embeddedSource(files),
  }));
}

withPython('every sandbox .py file compiles', () => {
  const files = EMBEDDED_FILES.flatMap((f) => f.files).map((f) => path.join(SANDBOX_PYTHON_DIR, f));
  const code = 'import sys, py_compile\nfor f in sys.argv[1:]:\n    compile(open(f, encoding="utf-8").read(), f, "exec")\n';
  const r = run('python3', ['-c', code, ...files], 60_000);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

(haveFlakes ? test : test.skip)('pyflakes finds nothing in the sandbox Python, its tests and its bench', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-pyflakes-'));
  const files = lintUnits().map(({ name, text }) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  });
  const tests = readdirSync(path.join(root, 'test', 'python')).filter((f) => f.endsWith('.py')).map((f) => path.join(root, 'test', 'python', f));
  const r = run('pyflakes3', [...files, ...tests, path.join(root, 'bench', 'prelude-bench.py')], 60_000);
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});

withPython('the pytest suite in test/python passes (and is not empty)', () => {
  const r = run('python3', ['-m', 'pytest', 'test/python', '-q', '-p', 'no:cacheprovider']);
  const out = `${r.stdout}\n${r.stderr}`;
  // pytest exits 5 when it collected no tests: that must fail here, not pass silently.
  expect({ status: r.status, tail: out.slice(-3000) }).toEqual({ status: 0, tail: expect.any(String) });
  const passed = Number(/(\d+) passed/.exec(out)?.[1] ?? 0);
  expect(passed).toBeGreaterThanOrEqual(30);
}, 300_000);
