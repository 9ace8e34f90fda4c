// Pyodide sandbox worker: one per session, inside the session's own sandbox process (sandbox-process.mjs).
// Plain JavaScript on purpose (jest's TypeScript transform does not apply here); the message protocol is
// documented in worker-protocol.ts.
//
// Boot: harden the WebAssembly imports (no `system`, no `emscripten_run_script`, a heap cap), load
// Pyodide (no NODEFS, no JS globals, sockets disabled), run the prelude, install the synchronous bridge
// (sub-calls, FINAL, sleep), configure, then remove what JavaScript reached from Python could use
// (`require`, `fetch`, `process`...). Then load the documents (sent as bytes, or read here from the
// files the process may read), install them, lock the interpreter down and serve `exec` messages one at
// a time.
import { parentPort, workerData } from 'node:worker_threads';
import { openChannel } from './sandbox-channel.mjs';
import { bootFromSnapshotFile, loadDocumentFile } from './sandbox-files.mjs';
import { captureForReset } from './sandbox-reset.mjs';
import { hardenWasmImports, installConstantsBinding, permissionProblem, removeGlobals } from './sandbox-hardening.mjs';

const init = workerData;
const unsafe = permissionProblem();
if (unsafe) {
  parentPort.postMessage({ type: 'fatal', message: `refusing to start: ${unsafe}` });
  throw new Error(unsafe);
}
hardenWasmImports(init.wasmHeapBytes);
installConstantsBinding();
const { loadPyodide } = await import(init.pyodideUrl);
// `init.channel`: the descriptors host-link.ts gave this process (a FIFO pair, or one socket as fd 3)
const channel = openChannel(init.channel?.read ?? init.channelFd, init.channel?.write ?? init.channelFd);
const interrupt = new Uint8Array(init.interrupt);
const WAIT_SLICE_MS = 20;
/** Rounds of pyodide_helpers.py `warm_up` after a snapshot boot (~20 ms). */
const WARM_UP_ROUNDS = 3;
const EACCES = 2;

let py;
let helpers;
let runCell;
let subSeq = 0;
let currentExec = 0;

const post = (msg) => channel.send(msg);

/** An `interrupt` frame for the running cell (stale ones, for cells already over, are ignored). */
const isInterruptNow = (msg) => msg.type === 'interrupt' && currentExec !== 0 && msg.id === currentExec;

/**
 * Called synchronously from Python's `_rlm_backend`: sends the batch to the host and blocks until the
 * reply arrives or the host interrupts the cell (then returns undefined -> Python raises KeyboardInterrupt).
 * An arrow function with a null prototype, so Python holding it cannot walk to `Function`.
 */
const hostCall = (payload) => {
  const id = ++subSeq;
  channel.sendSub(id, String(payload));
  for (;;) {
    const msg = channel.receive();
    if (msg.type === 'sub-reply' && msg.id === id) return msg.payload;
    if (isInterruptNow(msg)) {
      Atomics.store(interrupt, 0, 0);
      return undefined;
    }
    // a reply to a batch an earlier interrupt abandoned, or a stale interrupt: drop it
  }
};
Object.setPrototypeOf(hostCall, null);

/**
 * Called by the (wrapped) FINAL / FINAL_VAR: the answer travels to the host out of band, tagged with
 * the cell the host is running; the cell report's `final` field is not trusted.
 */
const hostFinal = (value, variable) => {
  post({ type: 'final', id: currentExec, value: String(value), ...(variable == null ? {} : { variable: String(variable) }) });
};
Object.setPrototypeOf(hostFinal, null);

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/**
 * Replacement for `time.sleep` (Pyodide's busy-waits and ignores the interrupt buffer): sleeps in short
 * `Atomics.wait` slices; returns false when interrupted (Python then raises KeyboardInterrupt).
 */
const hostSleep = (ms) => {
  const end = Date.now() + Number(ms);
  for (;;) {
    if (Atomics.load(interrupt, 0) !== 0) {
      Atomics.store(interrupt, 0, 0);
      return false;
    }
    const left = end - Date.now();
    if (left <= 0) return true;
    Atomics.wait(sleepCell, 0, 0, Math.min(left, WAIT_SLICE_MS));
  }
};
Object.setPrototypeOf(hostSleep, null);

function disableSockets(module) {
  const deny = () => {
    throw new module.FS.ErrnoError(EACCES);
  };
  if (module.SOCKFS) {
    module.SOCKFS.createSocket = deny;
    if (module.SOCKFS.websocket_sock_ops) module.SOCKFS.websocket_sock_ops.connect = deny;
  }
}

/** Load Pyodide: from the boot snapshot when one is given (prelude already run), else cold (boot-snapshot.ts). */
async function loadInterpreter() {
  const options = {
    indexURL: init.pyodideDir + '/',
    env: { HOME: '/home/pyodide' },
    jsglobals: Object.create(null),
    stdin: () => null,
    stdout: () => {},
    stderr: () => {},
  };
  if (init.snapshotPath) {
    try {
      const py = await bootFromSnapshotFile(init.snapshotPath, (snapshot) => loadPyodide({ ...options, _loadSnapshot: snapshot }));
      return { py, fromSnapshot: true };
    } catch (err) {
      // a stale or damaged snapshot: boot cold and say why (the host drops the file)
      const snapshotError = String((err && err.message) || err).split('\n')[0];
      const cold = await loadPyodide(options);
      cold.runPython(init.python.prelude);
      return { py: cold, fromSnapshot: false, snapshotError };
    }
  }
  const cold = await loadPyodide(init.makeSnapshot ? { ...options, _makeSnapshot: true } : options);
  cold.runPython(init.python.prelude);
  return { py: cold, fromSnapshot: false };
}

async function boot() {
  const t0 = Date.now();
  const loaded = await loadInterpreter();
  py = loaded.py;
  if (init.makeSnapshot) {
    // snapshot-maker process: the heap after the prelude goes to the host, nothing else runs here
    const bytes = py.makeMemorySnapshot();
    parentPort.postMessage({ type: 'snapshot', bytes }, [bytes.buffer]);
    return;
  }
  disableSockets(py._module);
  py.setStdin({ stdin: () => null });
  py.setStdout({ batched: () => {} });
  py.setStderr({ batched: () => {} });
  py.setInterruptBuffer(interrupt);

  helpers = py.runPython(init.python.helpers, { globals: py.toPy({}) });
  const makeBackend = helpers.get('make_backend');
  py.globals.set('_rlm_backend', makeBackend(hostCall));
  makeBackend.destroy();
  const installSleep = helpers.get('install_sleep');
  installSleep(hostSleep);
  installSleep.destroy();
  const installFinal = helpers.get('install_final');
  installFinal(hostFinal);
  installFinal.destroy();
  const configure = py.globals.get('_rlm_configure');
  configure(init.subModelId, init.subConcurrency, init.maxCaptureChars);
  configure.destroy();
  // The host calls this proxy directly, so redefining `_rlm_run_cell` in model code changes nothing.
  runCell = py.globals.get('_rlm_run_cell');
  removeGlobals();
  post({ type: 'booted', ms: Date.now() - t0, fromSnapshot: loaded.fromSnapshot, ...(loaded.snapshotError ? { snapshotError: loaded.snapshotError } : {}) });
  // A cold boot ran enough Python to get V8 optimising; a snapshot boot did not (pyodide_helpers.py warm_up).
  // Before the documents, which queue behind the boot and load while V8 compiles.
  // Only an optimisation: a warm-up that fails (a heap cap too small for it) costs the session nothing.
  if (loaded.fromSnapshot) {
    try {
      callHelper('warm_up', WARM_UP_ROUNDS);
    } catch {
      // the first cells run as baseline code until V8 optimises them, as before the warm-up existed
    }
  }
}

let docsStarted = 0;
let docError = false;

function addDocument(name, bytes) {
  if (docError) return;
  if (!docsStarted) docsStarted = Date.now();
  const add = helpers.get('add_document');
  let err;
  try {
    err = add(name, bytes);
  } catch (e) {
    // e.g. MemoryError: the document does not fit the interpreter's heap
    err = `could not be loaded into the sandbox: ${String((e && e.message) || e).trim().split('\n').pop()}`;
  } finally {
    add.destroy();
  }
  if (err) {
    docError = true;
    post({ type: 'doc-error', name, message: String(err) });
  }
}

function callHelper(name, ...args) {
  const fn = helpers.get(name);
  try {
    return fn(...args);
  } finally {
    fn.destroy();
  }
}

/** A document the process may read itself (`doc-file`), read from its file into the heap (sandbox-files.mjs). */
function addDocumentFile(name, file, chars) {
  if (docError) return;
  if (!docsStarted) docsStarted = Date.now();
  const err = loadDocumentFile(py, callHelper, name, file, chars);
  if (err) {
    docError = true;
    post({ type: 'doc-error', name, message: String(err) });
  }
}

/** Resets this interpreter between runs (reusable sessions, once the first run's documents are in), or null. */
let resetInterpreter = null;
let lockedDown = false;

function finishDocuments() {
  if (docError) return;
  const t0 = docsStarted || Date.now();
  const finish = helpers.get('finish_documents');
  const json = finish(init.previewChars);
  finish.destroy();
  if (!lockedDown) {
    lockdown();
    lockedDown = true;
    // the state after the lockdown, without the documents, is what a reset puts back (a later run's
    // documents arrive after a reset: the lockdown is part of the restored state)
    if (init.reusable) resetInterpreter = captureForReset(py, init.python.reset);
  }
  const parsed = JSON.parse(json);
  post({ type: 'loaded', docs: parsed.docs, totalChars: parsed.total, preview: parsed.preview, loadMs: Date.now() - t0 });
  serve();
}

/**
 * From here on the worker serves the host channel, synchronously: `exec` runs a cell; stale `sub-reply` /
 * `interrupt` frames (for cells already over) are dropped. A `reset` (reusable sessions, between runs) puts
 * the interpreter back to its captured state, answers `reset-done` and returns, so the next run's
 * documents (IPC) are taken in; otherwise it never returns.
 */
function serve() {
  for (;;) {
    const msg = channel.receive();
    if (msg && msg.type === 'exec') execute(msg.id, msg.code, msg.limitS);
    else if (msg && msg.type === 'reset') {
      docsStarted = 0;
      docError = false;
      post(resetInterpreter ? resetInterpreter() : { type: 'reset-done', clean: false, why: 'this session cannot be reset', ms: 0, heapBytes: 0 });
      return;
    }
  }
}

function lockdown() {
  py.unregisterJsModule('js');
  py.unregisterJsModule('pyodide_js');
  const fn = py.runPython(init.python.lockdown, { globals: py.toPy({}) });
  fn(py.toPy(init.blockedModules));
  fn.destroy();
}

function isKeyboardInterrupt(err) {
  return err && err.type === 'KeyboardInterrupt';
}

function interpreterAlive() {
  try {
    return py.runPython('1') === 1;
  } catch {
    return false;
  }
}

function execute(id, code, limitS) {
  Atomics.store(interrupt, 0, 0);
  currentExec = id;
  try {
    const report = runCell(String(code), 0, Number(limitS) || 0);
    post({ type: 'result', id, report: String(report) });
  } catch (err) {
    Atomics.store(interrupt, 0, 0);
    if (isKeyboardInterrupt(err)) {
      // The interrupt landed outside the prelude's try (setup or report building): the cell's output
      // is lost, but the interpreter and the variables are fine once stdout/stderr are restored.
      try {
        const recover = helpers.get('recover');
        recover();
        recover.destroy();
      } catch {
        // a second interrupt during recovery; the next cell starts from a clean buffer anyway
      }
      post({ type: 'result', id, interrupted: true });
      return;
    }
    const message = err && err.message ? String(err.message) : String(err);
    post({ type: 'result', id, error: message, lost: !interpreterAlive() });
  } finally {
    currentExec = 0;
    Atomics.store(interrupt, 0, 0);
  }
}

let failed = false;
let queue = boot().catch((err) => {
  failed = true;
  post({ type: 'fatal', message: `Pyodide failed to start: ${err && err.stack ? err.stack : String(err)}` });
});

parentPort.on('message', (msg) => {
  queue = queue.then(() => {
    if (failed) return;
    try {
      if (msg.type === 'doc') addDocument(msg.name, msg.bytes);
      else if (msg.type === 'doc-file') addDocumentFile(msg.name, msg.path, msg.chars);
      else if (msg.type === 'docs-done') finishDocuments();
      else if (msg.type === 'exec') execute(msg.id, msg.code, msg.limitS);
    } catch (err) {
      post({ type: 'fatal', message: `sandbox worker failed on ${msg.type}: ${err && err.stack ? err.stack : String(err)}` });
    }
  });
});
