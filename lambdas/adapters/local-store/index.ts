/** The durable on-disk conversation store of local runs. */
export { FileConversationStore } from './file-conversation-store';
