/**
 * The LongBench v2 evaluation, pure part: records and subsets, the official prompt and answer extraction,
 * the approaches' windows and costs, and the summary. I/O (data files, runs, JSONL) lives in `bin/eval/`.
 */
export * from './records';
export * from './prompt';
export * from './approach';
export * from './summary';
export { JsonArraySplitter, type ArrayElement } from './json-stream';
export * from './outcome';
