// Defence in depth inside the Pyodide worker (the process itself already runs under Node's permission
// model: no fs writes, no child processes, reads only of Pyodide's own files). Two steps:
//
// 1. `hardenWasmImports(capBytes)`, before Pyodide loads: the WebAssembly imports of CPython get a
//    `system` that spawns nothing and returns -1 (so `os.system` reports a failure), and
//    `emscripten_run_script*` that evaluate nothing (the `ctypes` route to JavaScript `eval`). The
//    heap's `memory.grow` refuses to pass `capBytes`, so a memory bomb is a `MemoryError` in Python.
// 2. `removeGlobals()`, after boot: the globals JavaScript reached from Python could use to get out
//    (`require` that Pyodide installs with `child_process`, `fetch`, `WebSocket`, `process` and its
//    `binding`/`getBuiltinModule`/`dlopen`) are deleted, and the constructors of functions (`Function`,
//    async and generator variants) are replaced by ones that throw (code generation from strings is
//    also disabled by a process flag).

import { constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';

const PAGE = 65536;

/**
 * Pyodide's NODEFS reads `process.binding('constants').fs` at boot, and `process.binding` is denied
 * under the permission model: serve just that table (it is removed with the rest after boot).
 */
export function installConstantsBinding() {
  const proc = globalThis.process;
  Object.defineProperty(proc, 'binding', {
    configurable: true,
    writable: true,
    value: (name) => {
      if (name === 'constants') return { fs: fsConstants, os: osConstants };
      throw new Error(`process.binding('${name}') is not available in this sandbox`);
    },
  });
}

/**
 * Replace an import, keeping its `.sig` (Emscripten's `dlsym` builds a wasm wrapper from it, so
 * `ctypes.CDLL(None).emscripten_run_script` must still resolve, to the harmless function).
 */
function replaceImport(env, name, fn) {
  if (typeof env[name] !== 'function') return;
  const sig = env[name].sig;
  if (sig !== undefined) fn.sig = sig;
  env[name] = fn;
}

function patchImports(env) {
  // `system()` spawns nothing and returns -1 (failure); a NULL command asks "is there a shell?": no (0).
  for (const name of ['system', '_emscripten_system']) replaceImport(env, name, (command) => (command ? -1 : 0));
  for (const name of ['emscripten_run_script', 'emscripten_run_script_int', 'emscripten_run_script_string', 'emscripten_async_run_script']) {
    replaceImport(env, name, () => 0);
  }
}

function capMemory(memory, capBytes) {
  const grow = WebAssembly.Memory.prototype.grow;
  Object.defineProperty(memory, 'grow', {
    value: function cappedGrow(pages) {
      if (memory.buffer.byteLength + Number(pages) * PAGE > capBytes) throw new RangeError('sandbox memory cap reached');
      return grow.call(memory, pages);
    },
  });
}

/** Wrap `WebAssembly.instantiate` so CPython's module is instantiated with hardened imports and a capped heap. */
export function hardenWasmImports(capBytes) {
  const original = WebAssembly.instantiate;
  WebAssembly.instantiate = async function instantiate(source, imports) {
    const env = imports && imports.env;
    const isMain = env && typeof env.emscripten_resize_heap === 'function';
    if (isMain) {
      patchImports(env);
      const resize = env.emscripten_resize_heap;
      env.emscripten_resize_heap = (requested) => ((requested >>> 0) > capBytes ? 0 : resize(requested));
    }
    const result = await original.call(WebAssembly, source, imports);
    if (isMain) {
      const instance = result instanceof WebAssembly.Instance ? result : result.instance;
      const memory = instance.exports.memory;
      if (memory instanceof WebAssembly.Memory) capMemory(memory, capBytes);
    }
    return result;
  };
}

const blockedConstructor = (kind) => {
  const fn = function () {
    throw new EvalError(`${kind} constructor is disabled in this sandbox`);
  };
  Object.setPrototypeOf(fn, null);
  return fn;
};

/**
 * Refuse to run when the permission model is not in force in this thread (e.g. a Worker started with
 * `execArgv: []` does not inherit it on Node 20): returns the reason, or null when fs writes and
 * child processes are denied.
 */
export function permissionProblem() {
  const perm = globalThis.process && globalThis.process.permission;
  if (!perm || typeof perm.has !== 'function') return 'the Node permission model is not active in the sandbox worker';
  for (const scope of ['child', 'fs.write', 'addon']) {
    try {
      if (perm.has(scope)) return `the sandbox worker is allowed "${scope}"`;
    } catch {
      // a scope this Node version does not know is not granted
    }
  }
  return null;
}

/** Delete the globals that lead out of the sandbox (run once, after Pyodide booted). */
export function removeGlobals() {
  for (const name of ['require', 'fetch', 'WebSocket', 'XMLHttpRequest', 'EventSource', 'Request', 'Response', 'Headers', 'FormData', 'eval', 'Buffer', 'module', 'exports']) {
    try {
      delete globalThis[name];
    } catch {
      // non-configurable: leave it (none of the names above is, on Node 20/22)
    }
  }
  const proc = globalThis.process;
  if (proc) {
    for (const name of ['binding', '_linkedBinding', 'dlopen', 'getBuiltinModule', 'mainModule', 'kill', 'chdir', 'send']) {
      try {
        delete proc[name];
      } catch {
        // ignore
      }
    }
    try {
      delete globalThis.process;
    } catch {
      // ignore
    }
  }
  const kinds = [
    ['Function', Function.prototype],
    ['AsyncFunction', Object.getPrototypeOf(async function () {})],
    ['GeneratorFunction', Object.getPrototypeOf(function* () {})],
    ['AsyncGeneratorFunction', Object.getPrototypeOf(async function* () {})],
  ];
  for (const [kind, proto] of kinds) {
    try {
      Object.defineProperty(proto, 'constructor', { value: blockedConstructor(kind), writable: false, configurable: false });
    } catch {
      // ignore
    }
  }
}
