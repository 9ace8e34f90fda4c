/**
 * DynamoDB conversation store and its table layout. Embedded dynalite (local runner, tests) is
 * deliberately not re-exported here, so Lambda bundles that import this barrel never pull in dynalite:
 * import it from `./embedded-dynalite`.
 */
export { DynamoConversationStore, type DynamoConversationStoreOptions } from './conversation-store';
export {
  ConversationItemTooLargeError,
  ConversationStoreThrottledError,
  CorruptConversationItemError,
} from './errors';
export { CONVERSATION_TABLE_SCHEMA, MAX_TURN_INDEX, createTableInput } from './schema';
