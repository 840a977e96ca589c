import { AriError } from '@parley/ari-client';
import { type DispatchMessage, ErrorCodes, type HangupRequester } from '@parley/common';
import type { DataSource, TrunkEntity } from '@parley/db';
import type { Logger } from '@parley/service-kit';
import type { CallEventPublisher } from '../calls/call-event-publisher';
import { LiveCall } from '../calls/live-call';
import type { LiveCalls } from '../calls/live-calls';
import type { DialerConfig } from '../config';
import type { DialerMetrics } from '../metrics/dialer-metrics';
import type { AsteriskConnection, AsteriskConnections } from '../telephony/asterisk-connections';
import { trunkEndpointName } from '../trunks/trunk-endpoint';

export interface CallRowState {
  status: string;
}

/** Rings a queued call: the last check that it is still wanted, then POST /channels with our own channel id. */
export class Originator {
  constructor(
    private readonly deps: {
      ds: DataSource;
      connections: AsteriskConnections;
      liveCalls: LiveCalls;
      publisher: CallEventPublisher;
      config: Pick<DialerConfig, 'ARI_APP' | 'DEFAULT_RING_TIMEOUT_SECONDS'>;
      metrics: DialerMetrics;
      logger: Logger;
    },
  ) {}

  async callStatus(callId: string): Promise<string | null> {
    const rows: { status: string }[] = await this.deps.ds.query(`SELECT status FROM calls WHERE id = $1`, [callId]);
    return rows[0]?.status ?? null;
  }

  /** The call's status and its trunk, in one round trip (the dispatch path runs this for every call). */
  async loadForDispatch(callId: string, trunkId: string): Promise<{ status: string | null; trunk: TrunkEntity | null }> {
    const rows: Record<string, unknown>[] = await this.deps.ds.query(
      `SELECT c.status, t.id, t.account_id, t.sandbox, t.max_concurrent_calls, t.calls_per_second
       FROM (SELECT 1) AS one LEFT JOIN calls c ON c.id = $1 LEFT JOIN trunks t ON t.id = $2`,
      [callId, trunkId],
    );
    const r = rows[0]!;
    return { status: (r.status as string | null) ?? null, trunk: r.id ? toTrunk(r) : null };
  }

  /** Of these calls, the ones that are no longer queued (canceled by the api while they waited). */
  async notQueued(callIds: string[]): Promise<Set<string>> {
    if (callIds.length === 0) return new Set();
    const rows: { id: string }[] = await this.deps.ds.query(`SELECT id FROM calls WHERE id = ANY($1::uuid[]) AND status <> 'queued'`, [callIds]);
    return new Set(rows.map((r) => r.id));
  }

  async loadTrunk(trunkId: string): Promise<TrunkEntity | null> {
    const rows: Record<string, unknown>[] = await this.deps.ds.query(`SELECT id, account_id, sandbox, max_concurrent_calls, calls_per_second FROM trunks WHERE id = $1`, [trunkId]);
    return rows[0] ? toTrunk(rows[0]) : null;
  }

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

  connectionFor(trunk: TrunkEntity): AsteriskConnection | null {
    return this.deps.connections.forTrunk(trunk);
  }

  /**
   * Originates; returns once Asterisk accepted or refused it. The call is tracked before the request goes out,
   * because ChannelCreated (and more) arrive before the response.
   */
  async originate(dispatch: DispatchMessage, trunk: TrunkEntity, conn: AsteriskConnection): Promise<LiveCall> {
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

function toTrunk(r: Record<string, unknown>): TrunkEntity {
  return { id: r.id, accountId: r.account_id, sandbox: r.sandbox, maxConcurrentCalls: r.max_concurrent_calls, callsPerSecond: Number(r.calls_per_second) } as TrunkEntity;
}
