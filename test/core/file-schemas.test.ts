/**
 * The JSON Schemas in schemas/ (generated from lambdas/core/file-schemas.ts by the build) are current, and
 * validate every matching file of events/ and examples/; a typo in a key or an option fails them.
 */
import Ajv2020 from 'ajv/dist/2020';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseBatchManifest } from '../../lambdas/core/batch/batch-manifest';
import { fileJsonSchemas } from '../../lambdas/core/file-schemas';
import { DEFAULT_PRICES, validatePriceTable } from '../../lambdas/core/pricing';

const root = path.join(__dirname, '..', '..');
const generated = fileJsonSchemas();
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validator = (file: keyof typeof generated) => ajv.compile(generated[file]);
const json = (rel: string) => JSON.parse(readFileSync(path.join(root, rel), 'utf8')) as unknown;

it('schemas/ holds exactly the generated schemas (run npm run build after changing them)', () => {
  const committed = readdirSync(path.join(root, 'schemas')).sort();
  expect(committed).toEqual(Object.keys(generated).sort());
  for (const [file, schema] of Object.entries(generated)) expect(json(`schemas/${file}`)).toEqual(schema);
});

it('validates the files of events/ and examples/ against their schemas', () => {
  const check = (file: keyof typeof generated, value: unknown, name: string) => {
    const validate = validator(file);
    expect({ name, ok: validate(value), errors: validate.errors ?? null }).toEqual({ name, ok: true, errors: null });
  };
  check('job-manifest.schema.json', json('events/job-manifest.json'), 'events/job-manifest.json');
  check('start-run.schema.json', json('events/start-run.json'), 'events/start-run.json');
  // The sample batch manifest has a deliberately bad line: the schema and the handlers' validator agree on each line.
  const text = readFileSync(path.join(root, 'events/batch-manifest.jsonl'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim());
  const items = parseBatchManifest(text, { batchId: 'sample', resolveDocument: (d) => d });
  const batchLine = validator('batch-line.schema.json');
  const verdicts = lines.map((line, i) => ({ line: i + 1, schema: batchLine(JSON.parse(line)), handler: !items[i].error }));
  expect(verdicts.filter((v) => v.schema !== v.handler)).toEqual([]);
  expect(verdicts.filter((v) => v.schema).length).toBeGreaterThanOrEqual(lines.length - 1);
  check('scripted-model.schema.json', json('examples/demo/script.json'), 'examples/demo/script.json');
  check('price-table.schema.json', DEFAULT_PRICES, 'DEFAULT_PRICES');
  check('watch-profiles.schema.json', { contracts: { questions: ['Which clauses changed?'], options: { maxIterations: 10 } } }, 'watch profile');
});

it('refuses typos: unknown keys, unknown or out-of-range options, wrong types', () => {
  const job = validator('job-manifest.schema.json');
  expect(job({ question: 'q', documents: ['documents/a.txt'], options: { maxIteration: 5 } })).toBe(false);
  expect(job({ question: 'q', documents: ['documents/a.txt'], options: { maxIterations: 500 } })).toBe(false);
  expect(job({ question: 'q', questions: ['a'], documents: ['d/'] })).toBe(false);
  expect(job({ questoin: 'q', documents: ['d/'] })).toBe(false);
  expect(validator('batch-line.schema.json')({ question: ' ', documents: ['d/'] })).toBe(false);
  expect(validator('scripted-model.schema.json')({ root: [{ txt: 'hi' }] })).toBe(false);
  expect(validator('price-table.schema.json')({ nova: { input: 1, output: '2' } })).toBe(false);
  expect(validator('watch-profiles.schema.json')({ 'bad name!': { questions: ['q'] } })).toBe(false);
});

it('the --prices validator is the price-table schema, and names an unknown field with the likely one', () => {
  expect(() => validatePriceTable({ nova: { input: 1, output: 2, inptu: 3 } })).toThrow(/price of "nova": unknown field "inptu"; did you mean input\?/);
  expect(() => validatePriceTable({ nova: { input: 1, output: '2' } })).toThrow(/price of "nova": "output" must be a number >= 0/);
  expect(validatePriceTable({ nova: { input: 1, output: 2, cacheRead: 0.5 } })).toEqual({ nova: { input: 1, output: 2, cacheRead: 0.5 } });
});
