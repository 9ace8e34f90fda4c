/**
 * zod issues as the one-line reasons the project's errors give: the field named by its path (`"question"`,
 * `documents[2]`, `tags.team`, `root[0].code`), then what it must be. Schemas carry their own messages
 * (`must be a non-empty string`), so what a user reads is declared next to the rule it explains.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `documents[2].name`, `sub.exact["a prompt"]`; a top-level field alone is quoted (`"question"`). */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 1 && typeof path[0] === 'string') return JSON.stringify(path[0]);
  return path.map((p, i) => {
    if (typeof p === 'number') return `[${p}]`;
    const key = String(p);
    return IDENTIFIER.test(key) ? `${i ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`;
  }).join('');
}

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; in?: z.ZodType; options?: z.ZodType[]; valueType?: z.ZodType };

/** The keys an object schema declares at `path` (through arrays, optionals, unions, records), for unknown keys. */
export function keysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  const def = (schema as unknown as { def: Def }).def;
  if (def.innerType) return keysAt(def.innerType, path);
  if (def.type === 'pipe' && def.in) return keysAt(def.in, path);
  if (def.type === 'union') return [...new Set((def.options ?? []).flatMap((o) => keysAt(o, path)))];
  if (!path.length) return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
  const [head, ...rest] = path;
  if (def.type === 'array' && def.element) return keysAt(def.element, rest);
  if (def.type === 'record' && def.valueType) return keysAt(def.valueType, rest);
  if (def.type === 'object' && def.shape && typeof head === 'string' && def.shape[head]) return keysAt(def.shape[head], rest);
  return [];
}

/** Options of {@link issueLines}. */
export interface IssueLineOptions {
  /** What was checked, for issues of the whole value and unknown top-level fields: `the run request`. */
  what: string;
  /** The schema that found the issues: the known fields listed with an unknown one (and did-you-mean) come from it. */
  schema?: z.ZodType;
  /** Put before every field path: `watchProfiles` names `watchProfiles.ops.questions` (and the whole value). */
  prefix?: string;
}

/** One reason per issue (unknown fields one each), in the order zod found them. */
export function issueLines(error: z.ZodError, options: IssueLineOptions): string[] {
  return error.issues.flatMap((issue) => {
    const where = options.prefix && !issue.path.length ? options.prefix : issuePath(options.prefix ? [options.prefix, ...issue.path] : issue.path);
    if (issue.code === 'invalid_key') {
      // A record key its key schema refused: the key schema's own message says what keys must be.
      const inner = issue.issues.map((i) => i.message).join('; ');
      return [`${where || options.what} is not a valid name: ${inner}`];
    }
    if (issue.code === 'unrecognized_keys') {
      const allowed = options.schema ? keysAt(options.schema, issue.path) : [];
      const inWhat = where ? `in ${where}` : `in ${options.what}`;
      return issue.keys.map((k) => `unknown field "${k}" ${inWhat}${didYouMean(k, allowed)}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`);
    }
    return [`${where || options.what} ${issue.message}`];
  });
}
