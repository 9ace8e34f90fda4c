/**
 * Names of the run lifecycle events (published through the `EventPublisher` port). Pure constants, so
 * the CDK stack can scope `events:PutEvents` to them without loading an SDK.
 */

/** Event source of every rlm-pipeline event. */
export const EVENT_SOURCE = 'rlm-pipeline';
/** Detail types, by run status. */
export const EVENT_DETAIL_TYPES = { succeeded: 'RLM Run Succeeded', failed: 'RLM Run Failed' } as const;
