import type { CallDirection } from '@parley/common';
import type { GrantedSlot, TrunkLimits, TrunkSlotsRepository } from '@parley/db';

/**
 * A trunk's `max_concurrent_calls` and `calls_per_second`, held in Postgres (TrunkSlotsRepository) so that they bind
 * every dialer sharing the trunk, as this dialer sees them: its slots are named after its DIALER_ID, its adoptions
 * fenced by its lease. Whoever waits for a trunk (the origination queue) hears here when one of its slots is freed.
 */
export class TrunkCapacity {
  private readonly freedListeners = new Set<(trunkId: string) => void>();

  constructor(
    private readonly slots: TrunkSlotsRepository,
    /** This dialer's id and the epoch of its lease (DialerPresence), null until it holds one. */
    private readonly lease: { readonly dialerId: string; readonly epoch: string | null },
  ) {}

  /**
   * Puts a call in its trunk's queue (idempotent; a redelivered call taken over from a dead dialer keeps its place).
   * Returns false when the call already holds an active slot: it was originated before (by us or a dialer that died).
   */
  enqueue(callId: string, trunkId: string, enqueuedAt: Date): Promise<boolean> {
    return this.slots.enqueue(this.lease.dialerId, callId, trunkId, enqueuedAt);
  }

  /** Grants free slots to the trunk's oldest waiting calls, whichever dialer holds them; returns ours among `mine`. */
  grant(trunkId: string, limits: TrunkLimits, mine: string[]): Promise<GrantedSlot[]> {
    return this.slots.grant(this.lease.dialerId, trunkId, limits, mine);
  }

  /** Holds a slot for a call that is already up (inbound, or adopted after a restart), whatever the limit. */
  occupy(callId: string, trunkId: string, direction: CallDirection): Promise<void> {
    return this.slots.occupy(this.lease.dialerId, callId, trunkId, direction);
  }

  /**
   * Takes a live call over from a dialer whose lease ran out (or from this dialer's previous process), fenced by this
   * dialer's lease: false when the call is someone else's, or this dialer no longer holds its lease.
   */
  async adopt(callId: string, trunkId: string, direction: CallDirection): Promise<boolean> {
    const { dialerId, epoch } = this.lease;
    if (epoch === null) throw new Error('the dialer holds no lease yet');
    return this.slots.adopt({ dialerId, epoch }, callId, trunkId, direction);
  }

  /** Claims an inbound channel with a slot keyed by `claimId`; false when another dialer claimed it first. */
  claim(claimId: string, trunkId: string): Promise<boolean> {
    return this.slots.claimInbound(this.lease.dialerId, claimId, trunkId);
  }

  /** Moves a claim's slot to the call the api created for it. */
  rekey(claimId: string, callId: string): Promise<void> {
    return this.slots.rekey(claimId, callId);
  }

  /** Frees the call's slot (or its place in the queue) without telling anyone: the caller pumps the queue itself. */
  release(callId: string): Promise<void> {
    return this.slots.release(callId);
  }

  /** Frees the slot of a call that ended, so that calls waiting for its trunk can start. */
  async free(callId: string, trunkId: string): Promise<void> {
    try {
      await this.slots.release(callId);
    } finally {
      // Even when the release failed: waiting calls then ask and find the slot still taken.
      for (const listener of this.freedListeners) listener(trunkId);
    }
  }

  /** Calls `listener` with the trunk whenever `free` gave one of its slots back. */
  onFreed(listener: (trunkId: string) => void): void {
    this.freedListeners.add(listener);
  }

  /** Gives waiting calls' places back without granting them (shutdown: another dialer will get their messages). */
  abandon(callIds: string[]): Promise<void> {
    return this.slots.abandon(this.lease.dialerId, callIds);
  }

  /** Frees the slots dead dialers left that nobody will come back for; returns how many. */
  sweep(): Promise<number> {
    return this.slots.sweep();
  }
}
