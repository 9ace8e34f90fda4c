/** Triggers and batches: pure logic shared by the trigger/batch Lambdas and `rlm batch`. */
export * from './batch-manifest';
export * from './batch-steps';
export * from './documents';
export * from './errors';
export * from './item-outcome';
export * from './job-manifest';
export * from './layout';
export * from './names';
export * from './object-event';
export * from './pool';
export type * from './ports';
export * from './results';
export * from './trigger';
export * from './watch-profiles';
