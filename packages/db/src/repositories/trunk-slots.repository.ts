import type { CallDirection, CallStatus } from '@parley/common';
import { DbRepository } from './db-repository';

export interface TrunkLimits {
  maxConcurrentCalls: number;
  callsPerSecond: number;
}

export interface GrantedSlot {
  callId: string;
  /** Milliseconds to wait before originating, so that the trunk's calls per second hold. */
  delayMs: number;
}

/** A dialer's lease, as the writes it fences name it. */
export interface LeaseHolder {
  dialerId: string;
  epoch: string;
}

/** A call that is up (initiated, ringing or in progress), with the dialer that owns it. */
export interface OwnedLiveCall {
  id: string;
  accountId: string;
  trunkId: string;
  status: CallStatus;
  direction: CallDirection;
  channelId: string | null;
  maxDurationSeconds: number;
  ringTimeoutSeconds: number;
  /** The trunk's: a sandbox call lives on the simulator. */
  sandbox: boolean;
  /** The Asterisk the call was placed on or came in on; null for calls from before Asterisks were recorded. */
  asterisk: string | null;
  /** The dialer named on its trunk slot, else on its `initiated` event; null when neither says. */
  owner: string | null;
}

/** SQL condition: dialer `me` still holds its lease with `epoch` (the fence of ownership-changing writes). */
function holdsLease(me: string, epoch: string): string {
  return `EXISTS (SELECT 1 FROM dialer_instances l WHERE l.dialer_id = ${me} AND l.epoch = ${epoch}::bigint AND l.lease_expires_at > clock_timestamp())`;
}

/** No dialer holding a lease is named `dialerIdSql`. */
function noLease(dialerIdSql: string): string {
  return `NOT EXISTS (SELECT 1 FROM dialer_instances d WHERE d.dialer_id = ${dialerIdSql} AND d.lease_expires_at > clock_timestamp())`;
}

const LIVE_STATUSES = `('initiated', 'ringing', 'in_progress')`;

/**
 * Trunk capacity across every dialer: each call on a trunk has a row in `dialer_trunk_slots`, `waiting` while queued
 * and `active` once granted (until the call ends), owned by one dialer; `dialer_trunk_pacing` holds the next
 * origination time each trunk's calls per second allow. Grants go to the oldest waiting calls first, under a
 * per-trunk transaction-scoped advisory lock; waiting rows of dead dialers (lease run out) are passed over.
 */
export class TrunkSlotsRepository extends DbRepository {
  /**
   * Puts a call in its trunk's queue (idempotent; a redelivered call taken over from a dead dialer keeps its place).
   * Returns false when the call already holds an active slot: it was originated before (by us or a dialer that died).
   */
  async enqueue(dialerId: string, callId: string, trunkId: string, enqueuedAt: Date): Promise<boolean> {
    const rows: { state: string }[] = await this.db.query(
      `INSERT INTO dialer_trunk_slots (call_id, trunk_id, dialer_id, state, enqueued_at)
       VALUES ($1, $2, $3, 'waiting', $4)
       ON CONFLICT (call_id) DO UPDATE SET dialer_id = CASE WHEN dialer_trunk_slots.state = 'waiting' THEN EXCLUDED.dialer_id ELSE dialer_trunk_slots.dialer_id END
       RETURNING state`,
      [callId, trunkId, dialerId, enqueuedAt],
    );
    return rows[0]?.state === 'waiting';
  }

  /**
   * Grants free slots on a trunk to the oldest waiting calls (of any live dialer) and returns the grants that are
   * `dialerId`'s among `mine`. Grants made earlier (by another dialer's run) are returned too.
   */
  async grant(dialerId: string, trunkId: string, limits: TrunkLimits, mine: string[]): Promise<GrantedSlot[]> {
    const intervalMs = limits.callsPerSecond > 0 ? 1000 / limits.callsPerSecond : 0;
    // Reserve at most about a second of origination times ahead, so that queued calls keep their FIFO place
    // without holding slots for long.
    const maxGrants = Math.max(1, Math.ceil(limits.callsPerSecond));
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('parley.dialer.trunk'), hashtext($1))`, [trunkId]);
      const [{ active, now }] = (await tx.query(
        `SELECT count(*)::int AS active, clock_timestamp() AS now FROM dialer_trunk_slots WHERE trunk_id = $1 AND state = 'active'`,
        [trunkId],
      )) as { active: number; now: Date }[];
      const free = Math.min(maxGrants, limits.maxConcurrentCalls - active);
      if (free > 0) {
        const waiting: { call_id: string }[] = await tx.query(
          `SELECT s.call_id FROM dialer_trunk_slots s
           JOIN dialer_instances d ON d.dialer_id = s.dialer_id AND d.lease_expires_at > clock_timestamp()
           WHERE s.trunk_id = $1 AND s.state = 'waiting'
           ORDER BY s.enqueued_at, s.call_id
           LIMIT $2`,
          [trunkId, free],
        );
        if (waiting.length > 0) {
          const pacing: { next_at: Date }[] = await tx.query(`SELECT next_at FROM dialer_trunk_pacing WHERE trunk_id = $1`, [trunkId]);
          const first = Math.max(now.getTime(), pacing[0]?.next_at.getTime() ?? 0);
          const starts = waiting.map((_, i) => new Date(first + i * intervalMs));
          await tx.query(
            `UPDATE dialer_trunk_slots s SET state = 'active', start_at = g.start_at, acquired_at = clock_timestamp()
             FROM unnest($1::uuid[], $2::timestamptz[]) AS g(call_id, start_at) WHERE s.call_id = g.call_id`,
            [waiting.map((w) => w.call_id), starts],
          );
          await tx.query(
            `INSERT INTO dialer_trunk_pacing (trunk_id, next_at) VALUES ($1, $2) ON CONFLICT (trunk_id) DO UPDATE SET next_at = EXCLUDED.next_at`,
            [trunkId, new Date(first + waiting.length * intervalMs)],
          );
        }
      }
      if (mine.length === 0) return [];
      const granted: { call_id: string; start_at: Date }[] = await tx.query(
        `SELECT call_id, start_at FROM dialer_trunk_slots WHERE call_id = ANY($1::uuid[]) AND state = 'active' AND dialer_id = $2 ORDER BY start_at`,
        [mine, dialerId],
      );
      return granted.map((g) => ({ callId: g.call_id, delayMs: Math.max(0, g.start_at.getTime() - now.getTime()) }));
    });
  }

  /** Holds a slot for a call that is already up (inbound, or adopted after a restart), whatever the limit. */
  async occupy(dialerId: string, callId: string, trunkId: string, direction: CallDirection): Promise<void> {
    await this.db.query(
      `INSERT INTO dialer_trunk_slots (call_id, trunk_id, dialer_id, state, direction, enqueued_at, start_at, acquired_at)
       VALUES ($1, $2, $3, 'active', $4, clock_timestamp(), clock_timestamp(), clock_timestamp())
       ON CONFLICT (call_id) DO UPDATE SET dialer_id = EXCLUDED.dialer_id, state = 'active'`,
      [callId, trunkId, dialerId, direction],
    );
  }

  /**
   * Takes a live call over from a dialer whose lease ran out (or from this dialer's previous process): moves its slot
   * to `lease.dialerId` only if the slot's owner holds no lease (or is that dialer) and `lease` is still held, in one
   * statement, so that two dialers never both adopt a call and a dialer that lost its lease adopts nothing.
   * Returns false when the call is someone else's.
   */
  async adopt(lease: LeaseHolder, callId: string, trunkId: string, direction: CallDirection): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO dialer_trunk_slots (call_id, trunk_id, dialer_id, state, direction, enqueued_at, start_at, acquired_at)
       SELECT $1, $2, $3, 'active', $4, clock_timestamp(), clock_timestamp(), clock_timestamp() WHERE ${holdsLease('$3', '$5')}
       ON CONFLICT (call_id) DO UPDATE SET dialer_id = EXCLUDED.dialer_id, state = 'active'
         WHERE (dialer_trunk_slots.dialer_id = EXCLUDED.dialer_id OR ${noLease('dialer_trunk_slots.dialer_id')})
           AND ${holdsLease('$3', '$5')}
       RETURNING call_id`,
      [callId, trunkId, lease.dialerId, direction, lease.epoch],
    );
    return rows.length === 1;
  }

  /**
   * Claims an inbound channel for `dialerId` with a slot keyed by `claimId`; false when another dialer claimed it
   * first (every dialer on an Asterisk may see the same StasisStart). `rekey` moves the slot to the call id later.
   */
  async claimInbound(dialerId: string, claimId: string, trunkId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO dialer_trunk_slots (call_id, trunk_id, dialer_id, state, direction, enqueued_at, start_at, acquired_at)
       VALUES ($1, $2, $3, 'active', 'inbound', clock_timestamp(), clock_timestamp(), clock_timestamp())
       ON CONFLICT (call_id) DO NOTHING RETURNING call_id`,
      [claimId, trunkId, dialerId],
    );
    return rows.length === 1;
  }

  async rekey(claimId: string, callId: string): Promise<void> {
    await this.db.query(`UPDATE dialer_trunk_slots SET call_id = $2 WHERE call_id = $1`, [claimId, callId]);
  }

  /** Frees the call's slot (or its place in the queue). */
  async release(callId: string): Promise<void> {
    await this.db.query(`DELETE FROM dialer_trunk_slots WHERE call_id = $1`, [callId]);
  }

  /** Gives waiting calls' places back without granting them (shutdown: another dialer will get their messages). */
  async abandon(dialerId: string, callIds: string[]): Promise<void> {
    if (callIds.length === 0) return;
    await this.db.query(`DELETE FROM dialer_trunk_slots WHERE call_id = ANY($1::uuid[]) AND dialer_id = $2 AND state = 'waiting'`, [callIds, dialerId]);
  }

  /**
   * Frees slots that dead dialers left behind and nobody will come back for: places in the queue (the dispatch message
   * is redelivered and queues again), slots of calls that are over, and inbound claims that never became calls.
   * Slots of live calls stay until a dialer adopts or ends them. Returns how many were freed.
   */
  async sweep(): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected].
    const [, affected] = (await this.db.query(
      `DELETE FROM dialer_trunk_slots s
       WHERE ${noLease('s.dialer_id')}
         AND (s.state = 'waiting'
              OR NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = s.call_id AND c.status IN ('queued', 'initiated', 'ringing', 'in_progress')))
       RETURNING s.call_id`,
    )) as [unknown[], number];
    return affected;
  }

  /**
   * Whether any live call is owned by no dialer holding a lease: cheap enough to ask at every heartbeat, so that a
   * dead dialer's calls are adopted as soon as its lease runs out.
   */
  async hasOrphanedCall(): Promise<boolean> {
    const [row] = (await this.db.query(
      `SELECT EXISTS (
         SELECT 1 FROM calls c LEFT JOIN dialer_trunk_slots s ON s.call_id = c.id
         WHERE c.status IN ${LIVE_STATUSES} AND ${noLease('COALESCE(s.dialer_id, c.dialer_id)')}
       ) AS orphans`,
    )) as { orphans: boolean }[];
    return row!.orphans;
  }

  /** Every live call with its owner, for a dialer to find those whose owner is gone. */
  async liveCalls(): Promise<OwnedLiveCall[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT c.id, c.account_id, c.trunk_id, c.status, c.direction, c.channel_id, c.max_duration_seconds, c.ring_timeout_seconds,
              t.sandbox, c.asterisk, COALESCE(s.dialer_id, c.dialer_id) AS owner
       FROM calls c JOIN trunks t ON t.id = c.trunk_id LEFT JOIN dialer_trunk_slots s ON s.call_id = c.id
       WHERE c.status IN ${LIVE_STATUSES}`,
    );
    return rows.map((r) => ({
      id: r.id as string,
      accountId: r.account_id as string,
      trunkId: r.trunk_id as string,
      status: r.status as CallStatus,
      direction: r.direction as CallDirection,
      channelId: r.channel_id as string | null,
      maxDurationSeconds: r.max_duration_seconds as number,
      ringTimeoutSeconds: r.ring_timeout_seconds as number,
      sandbox: r.sandbox as boolean,
      asterisk: r.asterisk as string | null,
      owner: r.owner as string | null,
    }));
  }
}
