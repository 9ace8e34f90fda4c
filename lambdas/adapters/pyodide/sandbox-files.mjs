// Reading files straight into the Pyodide heap, for the sandbox worker (sandbox-worker.mjs): the boot
// snapshot and the documents the process may read itself. Nothing here is copied through a JavaScript buffer
// of the file's size. Plain JavaScript, like the worker (it runs outside jest's transform).
import { Buffer, isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Largest single read of a file. */
const READ_SLICE_BYTES = 16 * 1024 * 1024;

/** Read `view.byteLength` bytes of `fd` from `position` into `view`; false at an early end of file. */
export function readFully(fd, view, position) {
  for (let done = 0; done < view.byteLength; ) {
    const n = readSync(fd, view, done, Math.min(view.byteLength - done, READ_SLICE_BYTES), position + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

/** Offset of the first NUL byte of a view, or -1 (Buffer's native search, no copy). */
const nulOffset = (view) => Buffer.from(view.buffer, view.byteOffset, view.byteLength).indexOf(0);

/**
 * Boot from the snapshot file without a JavaScript copy of it: Pyodide is given a buffer of the file's size
 * in which only the header (magic, build ID, the JSON of its state) is read; it stays zero memory the
 * kernel never hands out. Pyodide's one copy of the heap part (`HEAP8.set(snapshot.subarray(offset))`)
 * is made here instead, by reading the file straight into the WebAssembly heap. The 30 MB file and the
 * heap it fills never both exist (before: 60 MB at once, and the file kept for the session's life as
 * Pyodide keeps its options). The prototype's `set` is restored before this returns; if the copy was not
 * seen (another Pyodide), the boot is refused and the caller boots cold.
 */
export async function bootFromSnapshotFile(file, load) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const words = new Uint32Array(4);
    readSync(fd, words, 0, 16, 0);
    const heapStart = words[1];
    if (!(heapStart >= 16 && heapStart < size)) throw new Error('the boot snapshot has no valid header');
    const snapshot = new Uint8Array(size);
    if (!readFully(fd, snapshot.subarray(0, heapStart), 0)) throw new Error('the boot snapshot ended early');
    const proto = Object.getPrototypeOf(Int8Array.prototype);
    const set = proto.set;
    let copied = false;
    proto.set = function setFromFile(source, offset = 0) {
      if (copied || !source || source.buffer !== snapshot.buffer || source.byteOffset !== heapStart) return set.call(this, source, offset);
      if (!readFully(fd, new Uint8Array(this.buffer, this.byteOffset + offset, source.byteLength), heapStart)) throw new Error('the boot snapshot ended early');
      copied = true;
      return undefined;
    };
    let py;
    try {
      py = await load(snapshot);
    } finally {
      proto.set = set;
    }
    if (!copied) throw new Error('this Pyodide did not restore the snapshot the way the worker reads it');
    return py;
  } finally {
    closeSync(fd);
  }
}

/**
 * An all-ASCII document (the host counted as many code points as bytes) read straight into a new str:
 * returns an error message, null when loaded, or undefined when the str's layout is not the expected one
 * (then the general path loads it).
 */
function loadAsciiFile(py, callHelper, name, fd, skip, size) {
  const addr = callHelper('reserve_ascii', name, size);
  if (addr == null) return undefined;
  const heap = py._module.HEAPU8;
  const data = heap.subarray(addr, addr + size);
  const header = new DataView(heap.buffer, addr - 24, 24);
  let lengthField = false;
  for (let at = 0; at <= 20; at += 4) lengthField ||= header.getUint32(at, true) === size;
  if (!lengthField || data[0] !== 32 || data[size - 1] !== 32 || heap[addr + size] !== 0) {
    callHelper('drop_document', name);
    return undefined;
  }
  const complete = readFully(fd, data, skip) && readSync(fd, new Uint8Array(1), 0, 1, skip + size) === 0;
  const nul = complete ? nulOffset(data) : -1;
  if (complete && nul === -1 && isAscii(data)) return null;
  callHelper('drop_document', name);
  return nul !== -1 ? `is not a text document: binary content (NUL byte at offset ${nul + skip})` : 'changed since it was checked (it is no longer the ASCII text of that size)';
}

/** Any other document: read into a Python bytearray (through a view of it), then decoded there. */
function loadBytesFile(callHelper, name, fd, skip, size, chars) {
  const buf = callHelper('reserve_bytes', name, size);
  const view = buf.getBuffer('u8');
  let complete;
  let nul;
  try {
    complete = readFully(fd, view.data, skip) && readSync(fd, new Uint8Array(1), 0, 1, skip + size) === 0;
    nul = complete ? nulOffset(view.data) : -1;
  } finally {
    view.release();
    buf.destroy();
  }
  if (!complete || nul !== -1) {
    callHelper('drop_document', name);
    return nul !== -1 ? `is not a text document: binary content (NUL byte at offset ${nul + skip})` : 'changed since it was checked (its size changed)';
  }
  return callHelper('adopt_bytes', name, chars) ?? null;
}

/**
 * Load a document the process may read itself (`doc-file`): its bytes go from the file into the
 * interpreter's heap, never through the host or a JavaScript buffer. The host checked it as text and
 * counted `chars`; what is read here is checked again (size, NUL, UTF-8, length), so a file changed in
 * between is an error, never a different document. `callHelper(name, ...args)` calls a helper of
 * pyodide_helpers.py. Returns an error message, or null when the document is in.
 */
export function loadDocumentFile(py, callHelper, name, file, chars) {
  let fd;
  try {
    fd = openSync(file, 'r');
    const total = fstatSync(fd).size;
    const head = new Uint8Array(3);
    const skip = readSync(fd, head, 0, 3, 0) === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    const size = total - skip;
    let err = size === chars ? loadAsciiFile(py, callHelper, name, fd, skip, size) : undefined;
    if (err === undefined) err = loadBytesFile(callHelper, name, fd, skip, size, chars);
    return err ?? null;
  } catch (e) {
    // e.g. MemoryError: the document does not fit the interpreter's heap; or the file is gone
    return `could not be loaded into the sandbox: ${String((e && e.message) || e).trim().split('\n').pop()}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
