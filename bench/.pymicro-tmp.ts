// Python + Pyodide FFI cost of one llm_query with an instant JS backend (no transport).
import path from 'node:path';
async function main() {
  const root = path.resolve(process.argv[2] ?? '.');
  const gen = await import(path.join(root, 'lambdas/sandbox-python/generated.ts'));
  const { loadPyodide } = await import(path.join(root, 'node_modules/pyodide/pyodide.mjs'));
  const py = await loadPyodide({ indexURL: path.dirname(path.join(root, 'node_modules/pyodide/package.json')) + '/' , stdout: () => {}, stderr: () => {} });
  py.runPython(gen.PYTHON_PRELUDE);
  const helpers = py.runPython(gen.HELPERS_PY, { globals: py.toPy({}) });
  const reply = JSON.stringify([{ text: 'ok', error: null, input_tokens: 1, output_tokens: 1, ms: 0 }]);
  let last = '';
  const hostCall = (payload: string) => { last = payload; return reply; };
  const hostCall1 = (model: string, prompt: string) => { last = prompt; return reply; };
  py.globals.set('_rlm_backend', helpers.get('make_backend')(hostCall));
  if (helpers.has('make_backend1')) py.globals.set('_rlm_backend1', helpers.get('make_backend1')(hostCall1));
  helpers.get('install_final')(() => {});
  py.globals.get('_rlm_configure')('fake', 16, 100000);
  const runCell = py.globals.get('_rlm_run_cell');
  const N = 20000;
  for (const code of [`r = [llm_query("p") for _ in range(${N})]`, `r = [llm_query("p" * 10000) for _ in range(${N})]`]) {
    const ts: number[] = []; const cpu: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = process.hrtime.bigint(); const c0 = process.cpuUsage();
      const rep = runCell(code, 0, 0);
      ts.push(Number(process.hrtime.bigint() - t0) / 1e3 / N); const cc = process.cpuUsage(c0); cpu.push((cc.user + cc.system) / N);
      if (i === 0 && JSON.parse(rep).error) console.log(rep);
    }
    ts.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b); console.log(code.slice(0, 30), "cpu min", cpu[0].toFixed(2), "med", cpu[3].toFixed(2), 'min', ts[0].toFixed(2), 'median', ts[3].toFixed(2), 'us per call');
  }
}
main();
