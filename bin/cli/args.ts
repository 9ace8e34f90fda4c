/** Small helpers for parsing CLI flags with clear errors. */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../lambdas/core/errors';
import { validatePriceTable, type PriceTable } from '../../lambdas/core/pricing';

/** Parse a positive integer flag (undefined when absent). */
export function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** Parse a positive number flag (undefined when absent). */
export function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidInputError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

/** Parse a flag restricted to some values. */
export function choiceFlag<T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new InvalidInputError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

/** Read and check a `--prices FILE` price table. Throws `InvalidInputError` naming the file and the problem. */
export function pricesFlag(file: string): PriceTable {
  try {
    return validatePriceTable(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new InvalidInputError(`--prices ${file}: ${(err as Error).message}`);
  }
}
