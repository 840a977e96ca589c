import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CallEvent } from '@parley/common';
import { Bus } from '@parley/service-kit';
import { CallProjector } from './call-projector';

/**
 * The durable JetStream consumer feeding the projector (shared by every api process). Different calls are projected
 * concurrently; events of one call are applied one after another in stream order.
 */
@Injectable()
export class ProjectorConsumer implements OnApplicationBootstrap {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly bus: Bus,
    private readonly projector: CallProjector,
  ) {}

  async onApplicationBootstrap() {
    await this.bus.consumeDurable({
      stream: this.bus.subjects.callEventsStream,
      durable: 'api-projector',
      filterSubjects: [this.bus.subjects.allCallEvents],
      schema: CallEvent,
      handler: (event) => this.inCallOrder(event.call_id, () => this.projector.handle(event)),
      maxAckPending: 64,
      retryDelayMs: 500,
    });
  }

  private inCallOrder(callId: string, work: () => Promise<void>): Promise<void> {
    const prev = this.tails.get(callId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(work);
    const tail = next.catch(() => undefined);
    this.tails.set(callId, tail);
    void tail.then(() => {
      if (this.tails.get(callId) === tail) this.tails.delete(callId);
    });
    return next;
  }
}
