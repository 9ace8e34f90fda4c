/**
 * The generated module must embed exactly the .py files: Pyodide, AgentCore and the twin run the bytes on
 * disk, and pytest tests those same bytes. Fails when someone edits a .py file without `npm run gen:python`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EMBEDDED_FILES, embeddedSource, GENERATED_MODULE, renderEmbeddedModule, SANDBOX_PYTHON_DIR } from '../../scripts/embed-sandbox-python';
import * as generated from '../../lambdas/sandbox-python/generated';

test('lambdas/sandbox-python/generated.ts is up to date (run `npm run gen:python`)', () => {
  expect(readFileSync(GENERATED_MODULE, 'utf8')).toBe(renderEmbeddedModule());
});

test.each(EMBEDDED_FILES.map((f) => [f.name, f.files.join(' + ')]))('%s is byte-identical to %s', (name) => {
  const { files } = EMBEDDED_FILES.find((f) => f.name === name)!;
  const onDisk = files.map((file) => readFileSync(path.join(SANDBOX_PYTHON_DIR, file), 'utf8')).join('\n');
  expect(onDisk).toBe(embeddedSource(files));
  expect((generated as Record<string, string>)[name]).toBe(onDisk);
});

test('a changed .py file makes the generated module stale', () => {
  for (const edited of ['prelude.py', 'prelude_subcalls.py']) {
    const changed = renderEmbeddedModule((f) => readFileSync(path.join(SANDBOX_PYTHON_DIR, f), 'utf8') + (f === edited ? '# edit\n' : ''));
    expect(changed).not.toBe(readFileSync(GENERATED_MODULE, 'utf8'));
  }
});

test('every .py file in lambdas/sandbox-python is embedded', () => {
  const pyFiles = readdirSync(SANDBOX_PYTHON_DIR).filter((f: string) => f.endsWith('.py')).sort();
  expect(pyFiles).toEqual(EMBEDDED_FILES.flatMap((f) => f.files).sort());
});
