// Main thread of a sandbox process (one OS process per session, started by `sandbox-launch.ts` under
// Node's permission model with an empty environment). Plain JavaScript for the same reason as the
// worker: it runs outside jest's transform.
//
// It runs no model code. It starts the Pyodide worker thread (`sandbox-worker.mjs`), hands it the
// settings and documents that arrive over IPC, and owns the interrupt byte: an `interrupt` message
// from the host sets it while Python runs (Pyodide checks it between bytecodes). Cells, sub-calls and
// results go between the worker and the host directly, over fd 3 (sandbox-channel.mjs). When the host
// goes away (IPC disconnect), the process exits, so no sandbox outlives its CLI.
import { Worker } from 'node:worker_threads';

const SIGINT = 2;
/** The socket to the host the worker reads and writes directly (see sandbox-channel.mjs). */
const CHANNEL_FD = 3;
let worker = null;
/** The document being received in slices: `{ name, bytes }`. */
let assembling = null;
const interrupt = new Uint8Array(new SharedArrayBuffer(1));

const send = (msg) => {
  if (process.connected) process.send(msg);
};

function start(init) {
  const workerData = { ...init, interrupt: interrupt.buffer, channelFd: CHANNEL_FD };
  worker = new Worker(new URL('./sandbox-worker.mjs', import.meta.url), {
    workerData,
    env: {},
    argv: [],
    // no `execArgv`: the worker must inherit the permission flags (`execArgv: []` drops them on Node 20)
    resourceLimits: { maxOldGenerationSizeMb: init.jsHeapMb },
  });
  worker.on('message', send);
  worker.on('error', (err) => send({ type: 'fatal', message: `sandbox worker error: ${err && err.code ? err.code + ': ' : ''}${err && err.message}` }));
  worker.on('exit', (code) => {
    send({ type: 'fatal', message: `sandbox worker exited with code ${code}` });
    setTimeout(() => process.exit(0), 50);
  });
}

process.on('message', (msg) => {
  if (!msg || typeof msg !== 'object') return;
  switch (msg.type) {
    case 'init':
      if (!worker) start(msg.init);
      return;
    case 'interrupt':
      Atomics.store(interrupt, 0, SIGINT);
      // the host holds the next cell until this arrives (an interrupt landing in it would stop it)
      send({ type: 'interrupt-ack', seq: msg.seq });
      return;
    case 'doc-part': {
      // Slices of one document arrive in order; assemble them in one buffer, then hand it to the worker
      // without another copy.
      const part = msg.bytes instanceof Uint8Array ? msg.bytes : new Uint8Array(msg.bytes);
      if (msg.offset === 0) assembling = { name: msg.name, bytes: new Uint8Array(msg.size) };
      if (!assembling || assembling.name !== msg.name || msg.offset + part.byteLength > assembling.bytes.byteLength) {
        send({ type: 'fatal', message: `document "${msg.name}" arrived out of order` });
        return;
      }
      assembling.bytes.set(part, msg.offset);
      if (msg.offset + part.byteLength === assembling.bytes.byteLength) {
        const own = assembling.bytes;
        assembling = null;
        worker.postMessage({ type: 'doc', name: msg.name, bytes: own }, [own.buffer]);
      }
      return;
    }
    default:
      worker?.postMessage(msg);
  }
});
process.on('disconnect', () => process.exit(0));
