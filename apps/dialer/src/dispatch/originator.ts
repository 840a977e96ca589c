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

/** Rings a queued call (POST /channels with our own channel id), or ends one that will never ring. */
export class Originator {
  constructor(
    private readonly deps: {
      connections: AsteriskConnections;
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

  connectionFor(trunk: TrunkForDialing): AsteriskConnection | null {
    return this.deps.connections.forTrunk(trunk);
  }

  /**
   * Originates; returns once Asterisk accepted or refused it. The call is tracked before the request goes out,
   * because ChannelCreated (and more) arrive before the response.
   */
  async originate(dispatch: DispatchMessage, trunk: TrunkForDialing, conn: AsteriskConnection): Promise<LiveCall> {
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
      metrics.originateLatency.observe({ asterisk: conn.name }, Number(process.hrtime.bigint() - started) / 1e9);
      metrics.originations.inc({ trunk_id: trunk.id, result: 'accepted' });
      liveCalls.apply(call, call.machine.originated(new Date().toISOString()));
      // A hang-up command that came while the request was in flight may have found no channel yet (404): send it again.
      const requested = call.machine.hangupRequested;
      if (requested && !call.machine.isEnded) await liveCalls.hangup(call, requested).catch((err: Error) => logger.warn({ err, call_id: call.callId }, 'hang-up after originate failed'));
    } catch (err) {
      metrics.originations.inc({ trunk_id: trunk.id, result: 'refused' });
      const message = err instanceof AriError ? `Asterisk refused the call (${err.status}): ${err.asteriskMessage}` : `originate request failed: ${(err as Error).message}`;
      logger.warn({ call_id: call.callId, err }, 'originate failed');
      if (!(err instanceof AriError)) {
        // The request may have reached Asterisk (timeout): make sure no channel rings without us.
        await conn.client.channels.hangup(call.channelId).catch(() => undefined);
      }
      liveCalls.apply(call, call.machine.fail(new Date().toISOString(), { status: 'failed', errorCode: ErrorCodes.originateFailed, errorMessage: message }));
    }
    return call;
  }
}
