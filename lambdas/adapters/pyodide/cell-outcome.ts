/**
 * Turns the end of one Pyodide cell into a `CellResult`. Only stdout/stderr, the timeout/raised flags
 * and notices come from the cell report Python returned; `final` comes from the out-of-band FINAL
 * bridge and `sub` / `capReached` from the host's ledger, so redefining prelude names forges neither.
 */
import { parseCellReport } from '../../core/cell-report';
import type { CellResult } from '../../core/types';
import type { CellLedger, LedgerTotals } from './sub-call-ledger';

/** How a cell ended, as seen by the host. */
export type ExecOutcome =
  | { kind: 'report'; json: string }
  | { kind: 'interrupted' }
  | { kind: 'error'; message: string; lost: boolean }
  | { kind: 'killed' }
  | { kind: 'died'; message: string };

/** The cell a session is running: how to end its wait, its ledger, and FINAL once it arrived. */
export interface PendingCell {
  id: number;
  resolve: (o: ExecOutcome) => void;
  ledger: CellLedger;
  final?: { value: string; variable?: string };
}

/** The worker's `result` frame of a cell as its outcome (its `report` is the cell report's JSON text). */
export function outcomeOfResult(msg: { report?: unknown; interrupted?: boolean; error?: unknown; lost?: boolean }): ExecOutcome {
  if (typeof msg.report === 'string') return { kind: 'report', json: msg.report };
  if (msg.interrupted) return { kind: 'interrupted' };
  return { kind: 'error', message: String(msg.error ?? 'unknown failure'), lost: Boolean(msg.lost) };
}

/** Why a sandbox process failed, for the model and the logs: an out-of-memory death named as such. */
export function describeSandboxFailure(message: string, stderrTail: string, memoryLimitMb: number): string {
  if (/OUT_OF_MEMORY|out of memory|heap out of memory/i.test(message + stderrTail)) {
    return `the sandbox ran out of memory (limit ${memoryLimitMb} MiB per session) and was stopped`;
  }
  return message;
}

/** Seconds with one decimal, for messages. */
export const seconds = (ms: number) => `${Math.round(ms / 100) / 10}s`;

const LOST_NOTICE = 'The sandbox session was lost; the next cell cannot run in it (all variables are gone).';

/** What the host knows about the cell besides its outcome. */
export interface CellFacts {
  durationMs: number;
  timeoutMs: number;
  hardKillGraceMs: number;
  final?: { value: string; variable?: string };
  totals: LedgerTotals;
}

/** Build the cell result from the outcome and the host-side facts. */
export function toCellResult(outcome: ExecOutcome, facts: CellFacts): CellResult {
  const { durationMs, timeoutMs } = facts;
  const trusted = {
    sub: facts.totals.sub,
    ...(facts.totals.capReached ? { capReached: facts.totals.capReached } : {}),
    ...(facts.final ? { final: facts.final } : {}),
  };
  const base = { stdout: '', timedOut: false, raised: false, durationMs, ...trusted };
  switch (outcome.kind) {
    case 'report': {
      let parsed: CellResult;
      try {
        parsed = parseCellReport(outcome.json);
      } catch {
        return { ...base, raised: true, stderr: 'SandboxError: the cell runner returned no valid report\n' };
      }
      const { final: _ignored, sub: _untrusted, capReached: _cap, ...reported } = parsed;
      return { ...reported, durationMs, ...trusted };
    }
    case 'interrupted':
      return {
        ...base, timedOut: true,
        stderr: `TimeoutError: the cell ran longer than ${seconds(timeoutMs)} and was interrupted; its output was lost. Variables assigned before the interruption are kept.\n`,
      };
    case 'killed':
      return {
        ...base, timedOut: true, notices: [LOST_NOTICE],
        stderr: `TimeoutError: the cell ran longer than ${seconds(timeoutMs)} and ignored the interrupt for ${seconds(facts.hardKillGraceMs)}; the sandbox was stopped.\n`,
      };
    case 'error':
      return { ...base, raised: true, stderr: `SandboxError: ${outcome.message}\n`, ...(outcome.lost ? { notices: [LOST_NOTICE] } : {}) };
    case 'died':
      return { ...base, raised: true, stderr: `SandboxError: ${outcome.message}\n`, notices: [LOST_NOTICE] };
  }
}
