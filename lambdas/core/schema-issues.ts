/**
 * zod issues as the one-line reasons the project's errors give: the field named by its path (`"question"`,
 * `documents[2]`, `tags.team`, `root[0].code`), then what it must be. Schemas carry their own messages
 * (`must be a non-empty string`), so what a user reads is declared next to the rule it explains.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean';

/** `documents[2].name`; a top-level field alone is quoted (`"question"`). */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 1 && typeof path[0] === 'string') return JSON.stringify(path[0]);
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Options of {@link issueLines}. */
export interface IssueLineOptions {
  /** What was checked, for issues of the whole value and unknown top-level fields: `the run request`. */
  what: string;
  /** Known fields by path (`''` for the top level), listed with an unknown one and used for did-you-mean. */
  allowed?: Record<string, readonly string[]>;
}

/** One reason per issue (unknown fields one each), in the order zod found them. */
export function issueLines(error: z.ZodError, options: IssueLineOptions): string[] {
  return error.issues.flatMap((issue) => {
    const where = issuePath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const allowed = options.allowed?.[issue.path.join('.')] ?? [];
      const inWhat = where ? `in ${where}` : `in ${options.what}`;
      return issue.keys.map((k) => `unknown field "${k}" ${inWhat}${didYouMean(k, allowed)}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`);
    }
    return [`${where || options.what} ${issue.message}`];
  });
}
