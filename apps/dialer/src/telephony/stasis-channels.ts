import type { AriEvent } from '@parley/ari-client';

export class NotInStasisError extends Error {}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Which channels are in our Stasis app, as this connection's event stream tells it. Asterisk refuses to bridge,
 * answer or play to a channel before its StasisStart (422/409 "Channel not in Stasis application"), and that
 * StasisStart may arrive after the HTTP response that created the channel (68 of 100 ExternalMedia channels on
 * Asterisk 22, fixtures/asterisk-22/races/): whoever acts on a channel it just created waits here first.
 */
export class StasisChannels {
  private readonly inStasis = new Set<string>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  /** Fed with every event of the connection, before anything else acts on it. */
  observe(event: AriEvent): void {
    switch (event.type) {
      case 'StasisStart':
        this.inStasis.add(event.channel.id);
        this.settle(event.channel.id, undefined);
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
   * when it is destroyed or leaves Stasis first, or after `timeoutMs`.
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
        this.waiters.get(channelId)?.delete(waiter);
        if (this.waiters.get(channelId)?.size === 0) this.waiters.delete(channelId);
        reject(new NotInStasisError(`channel ${channelId} did not enter Stasis within ${timeoutMs} ms`));
      }, timeoutMs);
      let set = this.waiters.get(channelId);
      if (!set) this.waiters.set(channelId, (set = new Set()));
      set.add(waiter);
    });
  }

  /** Forgets a channel we are done with (its end may have passed while the events WebSocket was down). */
  forget(channelId: string): void {
    this.inStasis.delete(channelId);
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
