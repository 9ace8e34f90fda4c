/**
 * The scripted model file (`--llm scripted:FILE`, docs/scripted-models.md) as one zod schema: the adapter validates
 * scripts with it (`validateScript`) and `schemas/scripted-model.schema.json` is exported from it. Messages name the
 * JSON path: `root[2].code must be a string or array of strings`.
 */
import { z } from 'zod';

const STRING = 'must be a string';
const CODE = 'must be a string or array of strings';
const latencyMs = z.number({ error: 'must be a non-negative number' }).min(0, 'must be a non-negative number').optional()
  .describe('simulated latency in milliseconds');

/** One scripted root turn: prose and/or code (each code string becomes one `execute_python` call). */
export const scriptRootTurnSchema = z.strictObject({
  text: z.string({ error: STRING }).optional(),
  code: z.union([z.string(), z.array(z.string()).min(1, CODE)], { error: CODE }).optional(),
  latencyMs,
}, { error: 'must be an object with "text" and/or "code"' })
  .refine((t) => t.text !== undefined || t.code !== undefined, { message: 'needs "text" and/or "code"' });

/** A sub-call rule: the first rule whose regex matches the prompt answers. */
export const scriptSubRuleSchema = z.strictObject({
  match: z.string({ error: 'must be a string (a regular expression)' }),
  flags: z.string({ error: 'must be a string of regex flags from "imsu"' }).regex(/^[imsu]*$/, 'must be a string of regex flags from "imsu"').optional(),
  reply: z.string({ error: STRING }),
  latencyMs,
}, { error: 'must be an object with "match" and "reply"' }).superRefine((rule, ctx) => {
  try {
    new RegExp(rule.match, rule.flags);
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['match'], message: `is not a valid regular expression (${(err as Error).message})` });
  }
});

/** A whole script file. */
export const scriptSchema = z.strictObject({
  description: z.string({ error: STRING }).optional(),
  latencyMs,
  root: z.array(scriptRootTurnSchema, { error: 'must be an array of turns' }).optional(),
  sub: z.strictObject({
    exact: z.record(z.string(), z.string({ error: STRING }), { error: 'must be an object of prompt -> reply strings' }).optional(),
    rules: z.array(scriptSubRuleSchema, { error: 'must be an array' }).optional(),
    default: z.string({ error: STRING }).optional(),
  }, { error: 'must be an object' }).optional(),
}, { error: 'must be a JSON object' })
  .refine((s) => s.root !== undefined || s.sub !== undefined, { message: 'needs "root" and/or "sub"' })
  .describe('rlm-pipeline scripted model (--llm scripted:FILE)');
