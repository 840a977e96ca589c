import type { AriEvent } from '@parley/ari-client';

export class NotInStasisError extends Error {}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Asks Asterisk whether a channel is in a Stasis app now (GET /channels/{id}); false when it is gone. */
export type StasisLookup = (channelId: string) => Promise<boolean>;

/**
 * Which channels are in our Stasis app, as this connection's event stream tells it. Asterisk refuses to bridge,
 * answer or play to a channel before its StasisStart (422/409 "Channel not in Stasis application"), and that
 * StasisStart may arrive after the HTTP response that created the channel (68 of 100 ExternalMedia channels on
 * Asterisk 22, fixtures/asterisk-22/races/): whoever acts on a channel it just created waits here first.
 * A StasisStart sent while the events WebSocket was down is lost, so after a reconnect, and before a wait gives up,
 * Asterisk itself is asked.
 */
export class StasisChannels {
  private readonly inStasis = new Set<string>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly lookup: StasisLookup) {}

  /** Fed with every event of the connection, before anything else acts on it. */
  observe(event: AriEvent): void {
    switch (event.type) {
      case 'StasisStart':
        this.entered(event.channel.id);
        break;
      case 'StasisEnd':
        this.inStasis.delete(event.channel.id);
        this.settle(event.channel.id, new NotInStasisError(`channel ${event.channel.id} left Stasis`));
        break;
      case 'ChannelDestroyed':
        this.inStasis.delete(event.channel.id);
        this.settle(event.channel.id, new NotInStasisError(`channel ${event.channel.id} was hung up before it entered Stasis`));
        break;
    }
  }

  has(channelId: string): boolean {
    return this.inStasis.has(channelId);
  }

  /**
   * Resolves once the channel's StasisStart has been seen (at once if it already was); rejects with NotInStasisError
   * when it is destroyed or leaves Stasis first, or when after `timeoutMs` Asterisk does not show it in Stasis either.
   */
  whenInStasis(channelId: string, timeoutMs: number): Promise<void> {
    if (this.inStasis.has(channelId)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        const notYet = new NotInStasisError(`channel ${channelId} did not enter Stasis within ${timeoutMs} ms`);
        this.lookup(channelId).then(
          (yes) => (yes ? this.entered(channelId) : this.drop(channelId, waiter, notYet)),
          () => this.drop(channelId, waiter, notYet),
        );
      }, timeoutMs);
      let set = this.waiters.get(channelId);
      if (!set) this.waiters.set(channelId, (set = new Set()));
      set.add(waiter);
    });
  }

  /** After the events WebSocket reconnected: the channels still waited for may have entered Stasis meanwhile. */
  async recheckWaiting(): Promise<void> {
    await Promise.all(
      [...this.waiters.keys()].map((id) =>
        this.lookup(id).then(
          (yes) => yes && this.entered(id),
          () => undefined,
        ),
      ),
    );
  }

  /** Forgets a channel we are done with (its end may have passed while the events WebSocket was down). */
  forget(channelId: string): void {
    this.inStasis.delete(channelId);
  }

  private entered(channelId: string): void {
    this.inStasis.add(channelId);
    this.settle(channelId, undefined);
  }

  private drop(channelId: string, waiter: Waiter, err: Error): void {
    const set = this.waiters.get(channelId);
    set?.delete(waiter);
    if (set?.size === 0) this.waiters.delete(channelId);
    waiter.reject(err);
  }

  private settle(channelId: string, err: Error | undefined): void {
    const set = this.waiters.get(channelId);
    if (!set) return;
    this.waiters.delete(channelId);
    for (const w of set) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }
}
