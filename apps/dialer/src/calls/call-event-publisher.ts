import type { CallEventData } from '@parley/common';
import type { Bus, Logger } from '@parley/service-kit';
import type { z } from 'zod';

export type LifecycleEventType = 'initiated' | 'ringing' | 'answered' | 'ended';

/**
 * Publishes call lifecycle events to JetStream, retrying until they are stored: an event the api never sees is a
 * call stuck in the wrong state. Each lifecycle event happens once per call, so its id is derived from the call id:
 * a retry after a lost ack, or a second dialer ending the same orphaned call, is deduplicated by JetStream and the api.
 */
export class CallEventPublisher {
  private stopped = false;

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly retryForMs: () => number,
  ) {}

  async publish<T extends LifecycleEventType>(type: T, call: { callId: string; accountId: string }, at: string, data: z.input<(typeof CallEventData)[T]>): Promise<void> {
    const deadline = Date.now() + this.retryForMs();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.bus.publishCallEvent(type, { call_id: call.callId, account_id: call.accountId, at, id: `${call.callId}.${type}` }, data);
        return;
      } catch (err) {
        if (this.stopped && Date.now() > deadline) {
          this.logger.error({ err, call_id: call.callId, type, data }, 'call event could not be published before shutdown');
          throw err;
        }
        this.logger.warn({ err, call_id: call.callId, type, attempt }, 'call event publish failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }

  /** From now on, give up on an event once its retry window is over. */
  stop(): void {
    this.stopped = true;
  }
}
