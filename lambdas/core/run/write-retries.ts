/**
 * In-process retries of the writes a task makes with a result in hand (a recorded step, a spilled
 * artifact, a new session's ID): worth more than a retry of the whole task, and safe because each write
 * is conditional or idempotent (an artifact is put under a fixed key).
 */
import { ConversationStoreThrottledError, ConversationStoreUnavailableError, DocumentStoreUnavailableError, StepAlreadyRecordedError } from '../errors';

/** Delays of the in-process retries of a step write (the result in hand is worth more than a task retry). */
export const STEP_WRITE_RETRY_DELAYS_MS = [100, 400, 1_600];

/**
 * A conditional write retried in-process on transient store errors (`STEP_WRITE_RETRY_DELAYS_MS`). A retry
 * that finds the step already recorded means the earlier try landed and only its reply was lost (one writer
 * per turn): success.
 */
export async function writeWithRetries(put: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await put();
      return;
    } catch (err) {
      if (attempt > 0 && err instanceof StepAlreadyRecordedError) return;
      const transient = err instanceof ConversationStoreThrottledError || err instanceof ConversationStoreUnavailableError || err instanceof DocumentStoreUnavailableError;
      if (!transient || attempt >= STEP_WRITE_RETRY_DELAYS_MS.length) throw err;
      await new Promise((r) => setTimeout(r, STEP_WRITE_RETRY_DELAYS_MS[attempt]));
    }
  }
}
