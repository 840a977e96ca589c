import { AriError } from '@parley/ari-client';
import { type DispatchMessage, ErrorCodes, type HangupRequester } from '@parley/common';
import type { TrunkForDialing } from '@parley/db';
import type { Logger } from '@parley/service-kit';
import type { CallEventPublisher } from '../calls/call-event-publisher';
import { LiveCall } from '../calls/live-call';
import type { LiveCalls } from '../calls/live-calls';
import type { DialerConfig } from '../config';
import type { DialerMetrics } from '../metrics/dialer-metrics';
import type { AsteriskConnection, AsteriskConnections } from '../telephony/asterisk-connections';
import { trunkEndpointName } from '../trunks/trunk-endpoint';
import { placementOrder } from './asterisk-placement';

/**
 * Rings a queued call (POST /channels with our own channel id) on an Asterisk that carries its trunk, or ends one that
 * will never ring.
 */
export class Originator {
  constructor(
    private readonly deps: {
      connections: AsteriskConnections;
      /** Live calls on an Asterisk, of every dialer. */
      loadOf: (conn: AsteriskConnection) => number;
      liveCalls: LiveCalls;
      publisher: CallEventPublisher;
      config: Pick<DialerConfig, 'ARI_APP' | 'DEFAULT_RING_TIMEOUT_SECONDS'>;
      metrics: DialerMetrics;
      logger: Logger;
    },
  ) {}

  /** Ends a call that never reached Asterisk. */
  async fail(dispatch: DispatchMessage, errorCode: string, errorMessage: string): Promise<void> {
    this.deps.logger.warn({ call_id: dispatch.call_id, error_code: errorCode, error_message: errorMessage }, 'call failed before origination');
    this.deps.metrics.outcomes.inc({ status: 'failed', error_code: errorCode, direction: 'outbound' });
    await this.deps.publisher.publish(
      'ended',
      { callId: dispatch.call_id, accountId: dispatch.account_id },
      new Date().toISOString(),
      { status: 'failed', answered: false, hangup_cause: null, hangup_cause_code: null, hangup_by: 'system', error_code: errorCode, error_message: errorMessage },
    );
  }

  /** Ends a call canceled while it waited in our queue. */
  async cancelQueued(dispatch: DispatchMessage, by: HangupRequester): Promise<void> {
    this.deps.metrics.outcomes.inc({ status: 'canceled', error_code: '', direction: 'outbound' });
    await this.deps.publisher.publish(
      'ended',
      { callId: dispatch.call_id, accountId: dispatch.account_id },
      new Date().toISOString(),
      { status: 'canceled', answered: false, hangup_cause: null, hangup_cause_code: null, hangup_by: by, error_code: null, error_message: null },
    );
  }

  /** The Asterisks that may carry the trunk's calls (connected or not). */
  carriersOf(trunk: TrunkForDialing): AsteriskConnection[] {
    return this.deps.connections.carriersOf(trunk);
  }

  /**
   * Places the call on the carriers of its trunk that are connected and have room, least loaded first: one that
   * refuses the originate (or cannot be reached) is passed over for the next. With none left the call fails:
   * `originate_failed` with the last refusal when one was tried, else `no_asterisk_available`. Returns the tracked call,
   * or null when it failed before any Asterisk took it.
   */
  async originate(dispatch: DispatchMessage, trunk: TrunkForDialing): Promise<LiveCall | null> {
    const { loadOf } = this.deps;
    const { order, skipped } = placementOrder(this.carriersOf(trunk).map((conn) => ({ name: conn.name, connected: conn.isConnected, load: loadOf(conn), capacity: conn.capacity, conn })));
    let refusal: string | null = null;
    for (const { conn } of order) {
      const attempt = await this.originateOn(dispatch, trunk, conn);
      if (attempt.call) return attempt.call;
      if (attempt.canceledBy) {
        // Canceled while Asterisk refused: no other Asterisk is tried.
        await this.cancelQueued(dispatch, attempt.canceledBy);
        return null;
      }
      refusal = attempt.refusal;
    }
    const why = skipped.map((s) => `${s.name} is ${s.reason === 'down' ? 'down' : 'at its capacity'}`).join(', ');
    if (refusal !== null) {
      await this.fail(dispatch, ErrorCodes.originateFailed, order.length > 1 ? `every Asterisk carrying trunk ${trunk.id} refused the call; the last: ${refusal}` : refusal);
    } else {
      await this.fail(dispatch, ErrorCodes.noAsteriskAvailable, `no Asterisk could place the call on trunk ${trunk.id}: ${why || 'none carries it (register one with `pnpm parley asterisks add`, or set ARI_URL)'}`);
    }
    return null;
  }

  /**
   * Originates on one Asterisk; returns once it accepted (the call, tracked before the request went out, because
   * ChannelCreated and more arrive before the response) or refused (what it said; the call is no longer tracked).
   */
  private async originateOn(dispatch: DispatchMessage, trunk: TrunkForDialing, conn: AsteriskConnection): Promise<{ call: LiveCall } | { call: null; refusal: string; canceledBy: HangupRequester | null }> {
    const { liveCalls, metrics, config, logger } = this.deps;
    const call = new LiveCall({
      callId: dispatch.call_id,
      accountId: dispatch.account_id,
      trunkId: trunk.id,
      direction: 'outbound',
      channelId: dispatch.call_id,
      conn,
      ringTimeoutSeconds: dispatch.ring_timeout_seconds || config.DEFAULT_RING_TIMEOUT_SECONDS,
      maxDurationSeconds: dispatch.max_duration_seconds,
      conversation: dispatch.conversation,
    });
    liveCalls.track(call);
    const started = process.hrtime.bigint();
    try {
      await conn.client.channels.originate({
        endpoint: `PJSIP/${dispatch.to}@${trunkEndpointName(trunk)}`,
        app: config.ARI_APP,
        appArgs: ['outbound', dispatch.call_id],
        callerId: dispatch.from,
        timeout: call.ringTimeoutSeconds,
        channelId: dispatch.call_id,
        variables: { PARLEY_CALL_ID: dispatch.call_id, PARLEY_ACCOUNT_ID: dispatch.account_id },
      });
    } catch (err) {
      metrics.originations.inc({ trunk_id: trunk.id, result: 'refused' });
      const refusal = err instanceof AriError ? `Asterisk ${conn.name} refused the call (${err.status}): ${err.asteriskMessage}` : `originate request to Asterisk ${conn.name} failed: ${(err as Error).message}`;
      logger.warn({ call_id: call.callId, asterisk: conn.name, err }, 'originate failed; trying the next Asterisk if any');
      if (!(err instanceof AriError)) {
        // The request may have reached Asterisk (timeout): make sure no channel rings without us.
        await conn.client.channels.hangup(call.channelId).catch(() => undefined);
      }
      liveCalls.forget(call);
      const by = call.machine.hangupRequested?.by;
      return { call: null, refusal, canceledBy: by && by !== 'caller' ? by : null };
    }
    metrics.originateLatency.observe({ asterisk: conn.name }, Number(process.hrtime.bigint() - started) / 1e9);
    metrics.originations.inc({ trunk_id: trunk.id, result: 'accepted' });
    liveCalls.apply(call, call.machine.originated(new Date().toISOString()));
    // A hang-up command that came while the request was in flight may have found no channel yet (404): send it again.
    const requested = call.machine.hangupRequested;
    if (requested && !call.machine.isEnded) await liveCalls.hangup(call, requested).catch((err: Error) => logger.warn({ err, call_id: call.callId }, 'hang-up after originate failed'));
    return { call };
  }
}
