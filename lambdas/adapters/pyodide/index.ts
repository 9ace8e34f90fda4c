/** The local Pyodide sandbox adapter (see `pyodide-sandbox.ts`). */
export {
  PyodideSandbox,
  pyodideSessionCount,
  stopAllPyodideSessions,
  type PyodideSandboxOptions,
  type StartTimings,
} from './pyodide-sandbox';
export type { PyodideSession } from './pyodide-session';
