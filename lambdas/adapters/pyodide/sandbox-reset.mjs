// The worker's side of resetting a reusable session between runs (sandbox-worker.mjs calls it; the Python is
// pyodide_reset.py, the host's side session-reset.ts). Plain JavaScript, like the worker.

/**
 * Capture the interpreter's state for later resets (after the lockdown, with the first run's documents in:
 * they are left out of the capture) and return `reset()`, which puts that state back and returns the
 * `reset-done` message. Its audit hook reports taint through a host function the model cannot reach: once
 * tainted, every reset answers not clean.
 */
export function captureForReset(py, source) {
  let taint = null;
  // a null-prototype arrow like the worker's other host functions, so Python holding it cannot walk to `Function`
  const hostTaint = (event) => {
    taint ??= String(event);
  };
  Object.setPrototypeOf(hostTaint, null);
  const make = py.runPython(source, { globals: py.toPy({}) });
  const resetter = make(hostTaint, '/');
  make.destroy();
  const capture = resetter.get('capture');
  capture();
  capture.destroy();

  return function reset() {
    const t0 = Date.now();
    let clean = false;
    let why = '';
    try {
      const fn = resetter.get('reset');
      const out = fn();
      fn.destroy();
      const result = out.toJs();
      out.destroy();
      clean = result[0] === true;
      why = String(result[1] ?? '');
    } catch (err) {
      why = `the reset failed: ${String((err && err.message) || err).trim().split('\n').pop()}`;
    }
    if (taint) {
      clean = false;
      why = `code used ${taint}`;
    }
    return { type: 'reset-done', clean, why, ms: Date.now() - t0, heapBytes: py._module.HEAP8.length };
  };
}
