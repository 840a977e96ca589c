import type { Channel } from '@parley/ari-client';
import { ErrorCodes } from '@parley/common';
import type { DialerInstancesRepository, OwnedLiveCall, TrunkSlotsRepository } from '@parley/db';
import type { Logger } from '@parley/service-kit';
import type { CallEventPublisher } from '../calls/call-event-publisher';
import { LiveCall } from '../calls/live-call';
import type { LiveCalls } from '../calls/live-calls';
import type { DialerConfig } from '../config';
import { mediaObjectIds } from '../media/media-leg';
import type { DialerMetrics } from '../metrics/dialer-metrics';
import type { AsteriskConnection, AsteriskConnections } from '../telephony/asterisk-connections';
import type { TrunkCapacity } from '../trunks/trunk-capacity';
import type { MediaLeftovers } from './media-leftovers';

/** A channel that existed this long before we listed channels would be in the list. */
const LIST_GRACE_MS = 2000;

/**
 * Brings what this dialer believes in line with what Asterisk has, after a start, an events-WebSocket reconnect and
 * periodically: GET /channels, then
 * - tracked calls whose channel is gone end (we missed their ChannelDestroyed), and those whose state moved on
 *   while we were not listening catch up (answered, media connected);
 * - live calls of this install that no live dialer looks after (this one before a restart, or a dialer whose
 *   lease ran out) are taken over through TrunkCapacity.adopt (one dialer wins, fenced by this dialer's lease), then
 *   adopted when their channel is alive, and ended when it is not: answered -> completed, otherwise failed with
 *   `dialer_lost`;
 * - bridges and ExternalMedia channels that ended calls left behind are removed (MediaLeftovers).
 */
export class ChannelAdoption {
  private readonly running = new Map<AsteriskConnection, Promise<void>>();

  constructor(
    private readonly deps: {
      slots: TrunkSlotsRepository;
      dialers: DialerInstancesRepository;
      connections: AsteriskConnections;
      liveCalls: LiveCalls;
      capacity: TrunkCapacity;
      leftovers: MediaLeftovers;
      publisher: CallEventPublisher;
      config: Pick<DialerConfig, 'DIALER_ID' | 'DEFAULT_RING_TIMEOUT_SECONDS'>;
      metrics: DialerMetrics;
      logger: Logger;
    },
  ) {}

  /** Runs one reconciliation of this connection (joins the one in progress). */
  reconcile(conn: AsteriskConnection): Promise<void> {
    const current = this.running.get(conn);
    if (current) return current;
    const run = this.run(conn)
      .catch((err: Error) => this.deps.logger.warn({ err, asterisk: conn.name }, 'channel reconciliation failed'))
      .finally(() => this.running.delete(conn));
    this.running.set(conn, run);
    return run;
  }

  private async run(conn: AsteriskConnection): Promise<void> {
    const { liveCalls } = this.deps;
    // Opened before the list: what a channel does after Asterisk answered it reaches the call we adopt.
    const closeWindow = liveCalls.openAdoptionWindow();
    try {
      await this.reconcileWith(conn);
    } finally {
      closeWindow();
    }
  }

  private async reconcileWith(conn: AsteriskConnection): Promise<void> {
    const { liveCalls, logger } = this.deps;
    const listedAt = Date.now();
    const channels = await conn.client.channels.list();
    const alive = new Map(channels.map((c) => [c.id, c]));

    for (const call of liveCalls.list()) {
      if (call.conn !== conn || call.machine.isEnded || call.trackedAtMs > listedAt - LIST_GRACE_MS) continue;
      const ch = alive.get(call.channelId);
      if (!ch) {
        logger.warn({ call_id: call.callId, channel_id: call.channelId }, 'channel gone without its ChannelDestroyed reaching us');
        liveCalls.endLost(call, 'the channel ended while the dialer was not listening to Asterisk');
      } else {
        const bridged = await this.isBridged(conn, call.callId);
        if (bridged && !call.mediaTask && ch.state === 'Up') liveCalls.adoptMedia(call);
        liveCalls.apply(call, call.machine.adopt(ch.state, inStasis(ch)));
      }
    }

    const rows = await this.orphanedCalls(conn);
    for (const row of rows) {
      if (liveCalls.get(row.id) || liveCalls.wasRecentlyEnded(row.id)) continue;
      const channelId = row.channelId ?? row.id;
      if (liveCalls.isHeld(channelId) || liveCalls.owns(channelId)) continue;
      const ch = alive.get(channelId);
      if (ch) await this.adopt(conn, row, ch);
      else await this.endOrphan(conn, row);
    }
    await this.hangUpAbandoned(conn, alive);
    const removed = await this.deps.leftovers.sweep(conn);
    if (removed > 0) logger.info({ removed, asterisk: conn.name }, 'removed media objects left by ended calls');
  }

  /** Channels of calls ended while their Asterisk was unreachable (asterisk_lost) are hung up now that it is back. */
  private async hangUpAbandoned(conn: AsteriskConnection, alive: Map<string, Channel>): Promise<void> {
    for (const channelId of [...conn.abandoned]) {
      conn.abandoned.delete(channelId);
      if (!alive.has(channelId)) continue;
      await conn.client.channels.hangup(channelId).catch((err: Error) => this.deps.logger.warn({ err, channel_id: channelId, asterisk: conn.name }, 'could not hang up the channel of a call given up'));
      this.deps.logger.info({ channel_id: channelId, asterisk: conn.name }, 'hung up the channel of a call given up while its Asterisk was unreachable');
    }
  }

  /**
   * Whether any live call of the install is owned by no dialer holding a lease: cheap enough to ask at every
   * heartbeat, so that a dead dialer's calls are adopted as soon as its lease runs out rather than at the next
   * watchdog tick.
   */
  hasOrphans(): Promise<boolean> {
    return this.deps.slots.hasOrphanedCall();
  }

  /** Live calls on this connection's Asterisk that no live dialer looks after. */
  private async orphanedCalls(conn: AsteriskConnection): Promise<OwnedLiveCall[]> {
    const calls = await this.deps.slots.liveCalls();
    if (calls.length === 0) return [];
    const live = await this.deps.dialers.live();
    const me = this.deps.config.DIALER_ID;
    return calls.filter((c) => this.deps.connections.ofCall(c) === conn && (c.owner === null || c.owner === me || !live.has(c.owner)));
  }

  private async adopt(conn: AsteriskConnection, row: OwnedLiveCall, ch: Channel): Promise<void> {
    const { liveCalls, capacity, metrics, logger, config } = this.deps;
    liveCalls.hold(ch.id);
    let ours: boolean;
    try {
      ours = await capacity.adopt(row.id, row.trunkId, row.direction);
    } catch (err) {
      liveCalls.release(ch.id);
      throw err;
    }
    if (!ours) {
      liveCalls.release(ch.id);
      logger.info({ call_id: row.id }, 'call taken over by another dialer first');
      return;
    }
    const call = new LiveCall({
      callId: row.id,
      accountId: row.accountId,
      trunkId: row.trunkId,
      direction: row.direction,
      channelId: ch.id,
      conn,
      ringTimeoutSeconds: row.ringTimeoutSeconds || config.DEFAULT_RING_TIMEOUT_SECONDS,
      maxDurationSeconds: row.maxDurationSeconds,
    });
    if (ch.state === 'Up' && (await this.isBridged(conn, row.id))) liveCalls.adoptMedia(call);
    // Events that happened during the outage are published now (their ids dedupe the ones the api already has),
    // then what the channel did since the list.
    liveCalls.track(call, call.machine.adopt(ch.state, inStasis(ch)));
    metrics.adoptions.inc({ result: 'adopted' });
    logger.info({ call_id: row.id, channel_id: ch.id, state: ch.state, previous_dialer: row.owner }, 'live call adopted');
  }

  private async endOrphan(conn: AsteriskConnection, row: OwnedLiveCall): Promise<void> {
    const { publisher, capacity, leftovers, metrics, logger } = this.deps;
    // Taken like an adoption, so that one dialer ends it (and none while its owner's lease still runs).
    if (!(await capacity.adopt(row.id, row.trunkId, row.direction))) return;
    const answered = row.status === 'in_progress';
    const message = 'the dialer handling this call stopped and its channel no longer exists';
    await publisher.publish('ended', { callId: row.id, accountId: row.accountId }, new Date().toISOString(), {
      status: answered ? 'completed' : 'failed',
      answered,
      hangup_cause: null,
      hangup_cause_code: null,
      hangup_by: 'system',
      error_code: answered ? null : ErrorCodes.dialerLost,
      error_message: message,
    });
    // Asterisk keeps the bridge and ExternalMedia channel of a call whose dialer died; nothing else will remove them.
    await leftovers.removeFor(conn, row.id);
    await capacity.release(row.id);
    metrics.adoptions.inc({ result: 'ended' });
    metrics.outcomes.inc({ status: answered ? 'completed' : 'failed', error_code: answered ? '' : ErrorCodes.dialerLost, direction: row.direction });
    logger.warn({ call_id: row.id, status: row.status, previous_dialer: row.owner }, 'orphaned call ended: its channel is gone');
  }

  private async isBridged(conn: AsteriskConnection, callId: string): Promise<boolean> {
    return conn.client.bridges.get(mediaObjectIds(callId).bridgeId).then(
      () => true,
      () => false,
    );
  }
}

function inStasis(ch: Channel): boolean {
  return ch.dialplan?.app_name === 'Stasis';
}
