/**
 * What a Pyodide session is started with: its host-side settings and the `init` message its worker
 * gets (split from `pyodide-session.ts`, which runs the session).
 */
import { PYTHON_PRELUDE } from '../../core/prelude.py';
import { CONTEXT_PREVIEW_CHARS, type CellExecOptions, type LanguageModel } from '../../core/ports';
import { memorySplit, pyodideDir, pyodideModuleUrl } from './sandbox-launch';
import { CellLedger, type SubCallPricer } from './sub-call-ledger';
import type { Limiter } from './sub-calls';
import { BLOCKED_MODULES, HELPERS_PY, LOCKDOWN_PY, RESET_PY } from './worker-python';
import type { LoadedDoc, WorkerInit } from './worker-protocol';

/** Settings of one session. */
export interface SessionSettings {
  subModel: LanguageModel;
  subModelId: string;
  /** Models `llm_query(model=...)` may name when a cell has no budget (default: only `subModelId`). */
  allowedModels?: string[];
  /** Output-token limit of each sub-call (absent: the model's default). */
  subMaxOutputTokens?: number;
  subConcurrency: number;
  maxCaptureChars: number;
  /** How long a timed-out cell may ignore the interrupt before the sandbox process is killed. */
  hardKillGraceMs: number;
  /** How often the interrupt is re-sent while a timed-out cell keeps running. */
  interruptRetryMs: number;
  /** Memory cap of the session's process (MiB). */
  memoryLimitMb: number;
  /** Prices sub-calls for `budget.costUsd`. */
  price: SubCallPricer;
  /** Boot from this memory snapshot file (`boot-snapshot.ts`); cold boot when absent. */
  snapshotPath?: string;
  /** The session may be reset and serve another run after its first (`PyodideSession.recycle`). */
  reusable?: boolean;
}

/** What the worker reported after installing the documents. */
export interface WorkerLoaded {
  docs: LoadedDoc[];
  totalChars: number;
  preview: string;
  bootMs: number;
  loadMs: number;
  /** True when the interpreter was restored from the boot snapshot. */
  fromSnapshot: boolean;
}

/** Settings a warm spare must match (the model and pricer are the sandbox's own); how it boots does not matter. */
export function workerSettingsKey(s: SessionSettings): string {
  return JSON.stringify([s.subModelId, s.allowedModels ?? null, s.subMaxOutputTokens ?? null, s.subConcurrency, s.maxCaptureChars, s.hardKillGraceMs, s.interruptRetryMs, s.memoryLimitMb, s.reusable === true]);
}

/** The worker's `init` message for these settings. */
export function workerInit(settings: Pick<SessionSettings, 'subModelId' | 'subConcurrency' | 'maxCaptureChars' | 'memoryLimitMb' | 'snapshotPath' | 'reusable'>, extra: { makeSnapshot?: boolean } = {}): WorkerInit {
  return {
    python: { prelude: PYTHON_PRELUDE, helpers: HELPERS_PY, lockdown: LOCKDOWN_PY, reset: RESET_PY },
    subModelId: settings.subModelId,
    subConcurrency: settings.subConcurrency,
    maxCaptureChars: settings.maxCaptureChars,
    previewChars: CONTEXT_PREVIEW_CHARS,
    blockedModules: BLOCKED_MODULES,
    pyodideUrl: pyodideModuleUrl(),
    pyodideDir: pyodideDir(),
    ...memorySplit(settings.memoryLimitMb),
    ...(settings.snapshotPath ? { snapshotPath: settings.snapshotPath } : {}),
    ...(extra.makeSnapshot ? { makeSnapshot: true } : {}),
    ...(settings.reusable ? { reusable: true } : {}),
  };
}

/** The ledger of one cell of a session with `settings`: its sub-calls go through the session's `limiter`. */
export function cellLedgerFor(settings: SessionSettings, limiter: Limiter, options: CellExecOptions): CellLedger {
  return new CellLedger({
    model: settings.subModel,
    limiter,
    defaultModelId: settings.subModelId,
    sessionModels: settings.allowedModels,
    ...(settings.subMaxOutputTokens !== undefined ? { maxOutputTokens: settings.subMaxOutputTokens } : {}),
    budget: options.budget,
    price: settings.price,
    onSubCalls: options.onSubCalls,
    onSubCallDone: options.onSubCallDone,
  });
}
