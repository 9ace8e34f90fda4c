/** Field checks shared by job manifests, batch lines and watch profiles (collecting reasons, not throwing). */
import { resolveRunConfig } from '../config';
import { validateStartRequest } from '../start-request';
import type { RunConfig, StartRunRequest } from '../types';

/** Validate `options` with `resolveRunConfig` (unknown keys and bad values are refused). */
export function checkOptions(raw: unknown, reasons: string[], field = 'options'): Partial<RunConfig> | undefined {
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    reasons.push(`"${field}" must be an object of run options`);
    return undefined;
  }
  try {
    resolveRunConfig(raw as Record<string, unknown>);
  } catch (err) {
    reasons.push(`${field}: ${(err as Error).message}`);
    return undefined;
  }
  return raw as Partial<RunConfig>;
}

/** Validate `tags` (an object of strings). */
export function checkTags(raw: unknown, reasons: string[]): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
    reasons.push('"tags" must be an object of strings');
    return undefined;
  }
  return raw as Record<string, string>;
}

/** Refuse keys outside `allowed` (typos must not be silently ignored). */
export function checkKnownKeys(obj: Record<string, unknown>, allowed: readonly string[], reasons: string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) reasons.push(`unknown field "${key}" in ${what} (allowed: ${allowed.join(', ')})`);
  }
}

/** Run a request through `validateStartRequest`, recording its message as a reason instead of throwing. */
export function checkStartRequest(request: StartRunRequest, reasons: string[], prefix = ''): StartRunRequest | undefined {
  try {
    return validateStartRequest(request);
  } catch (err) {
    reasons.push(prefix + (err as Error).message);
    return undefined;
  }
}

/** Parse JSON text into an object, recording why not. */
export function parseJsonObject(text: string, reasons: string[], what: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    reasons.push(`${what} is not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    reasons.push(`${what} must be a JSON object`);
    return undefined;
  }
  return value as Record<string, unknown>;
}
