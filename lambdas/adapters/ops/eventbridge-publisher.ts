/** Publishes run lifecycle events to EventBridge for other systems to react to. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { RlmError } from '../../core/errors';
import type { EventPublisher, RunFinishedEvent } from '../../core/ports';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../../core/run-events';


/** PutEvents rejected the entry. */
export class EventPublishError extends RlmError {}

/** `EventPublisher` on an EventBridge bus. */
export class EventBridgePublisher implements EventPublisher {
  constructor(private readonly client: EventBridgeClient, private readonly busName: string) {}

  async runFinished(event: RunFinishedEvent): Promise<void> {
    const out = await this.client.send(new PutEventsCommand({
      Entries: [{
        EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: EVENT_DETAIL_TYPES[event.status],
        Detail: JSON.stringify(event), Resources: [],
      }],
    }));
    if (out.FailedEntryCount) {
      const entry = out.Entries?.[0];
      throw new EventPublishError(`EventBridge refused the run event for ${event.runId}: ${entry?.ErrorCode ?? ''} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }
}
