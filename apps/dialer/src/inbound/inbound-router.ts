import { createHash } from 'node:crypto';
import { AriError, type StasisStartEvent } from '@parley/ari-client';
import { InboundCallCreateReply, InboundCallCreateRequest } from '@parley/common';
import type { PhoneNumbersRepository, TrunksRepository } from '@parley/db';
import type { Bus, Logger } from '@parley/service-kit';
import type { z } from 'zod';
import type { LiveCalls } from '../calls/live-calls';
import { LiveCall } from '../calls/live-call';
import type { DialerConfig } from '../config';
import { ariTimestampToIso } from '../telephony/ari-time';
import type { AsteriskConnection } from '../telephony/asterisk-connections';
import type { TrunkCapacity } from '../trunks/trunk-capacity';
import { inboundTrunkOf } from './inbound-trunk';

/**
 * A call from a trunk enters Stasis with args `inbound[,<dialed number>]`. The api decides whether an inbound agent
 * of the number on the trunk the call came in on (see inboundTrunkOf) takes it (and creates the call row); if so we answer and it proceeds like an answered outbound call, otherwise we
 * reject it (cause 21) with a log line that says why.
 */
export class InboundRouter {
  constructor(
    private readonly deps: {
      bus: Bus;
      trunks: TrunksRepository;
      numbers: PhoneNumbersRepository;
      liveCalls: LiveCalls;
      capacity: TrunkCapacity;
      config: Pick<DialerConfig, 'DEFAULT_RING_TIMEOUT_SECONDS'>;
      logger: Logger;
    },
  ) {}

  /** True when the event is an inbound call this router takes care of. */
  accepts(event: StasisStartEvent, liveCalls: LiveCalls): boolean {
    return event.args[0] === 'inbound' && !liveCalls.owns(event.channel.id);
  }

  async route(conn: AsteriskConnection, event: StasisStartEvent): Promise<void> {
    const { bus, liveCalls, logger } = this.deps;
    const channel = event.channel;
    const to = event.args[1] || channel.dialplan.exten;
    const from = channel.caller.number;
    liveCalls.hold(channel.id);
    const trunkId = await inboundTrunkOf(this.deps, { asterisk: conn.name, channelName: channel.name, to });
    const claimId = inboundClaimId(channel.id);
    if (!(await this.deps.capacity.claim(claimId, trunkId ?? 'unknown'))) {
      // Another dialer connected to this Asterisk took it.
      liveCalls.release(channel.id);
      return;
    }
    let reply: z.infer<typeof InboundCallCreateReply>;
    if (!trunkId) {
      reply = { ok: false, error: `no single trunk holds ${to} for a call on ${channel.name}` };
    } else {
      try {
        reply = await bus.request(bus.subjects.inboundCallCreate, InboundCallCreateRequest, { to, from, trunk_id: trunkId, channel_id: channel.id }, InboundCallCreateReply, 5000);
      } catch (err) {
        reply = { ok: false, error: `the api did not take the call: ${(err as Error).message}` };
      }
    }
    if (!reply.ok) {
      liveCalls.release(channel.id);
      await this.deps.capacity.release(claimId).catch(() => undefined);
      logger.warn({ channel_id: channel.id, to, from, trunk_id: trunkId, reason: reply.error }, 'inbound call rejected: no inbound agent takes this number');
      await conn.client.channels.hangup(channel.id, { reason: 'rejected' }).catch((err: unknown) => {
        if (!(err instanceof AriError && err.isNotFound)) logger.warn({ err, channel_id: channel.id }, 'could not reject inbound call');
      });
      return;
    }
    const call = new LiveCall({
      callId: reply.call_id,
      accountId: reply.account_id,
      trunkId: trunkId ?? 'unknown',
      direction: 'inbound',
      channelId: channel.id,
      conn,
      ringTimeoutSeconds: this.deps.config.DEFAULT_RING_TIMEOUT_SECONDS,
      maxDurationSeconds: reply.max_duration_seconds,
      conversation: reply.conversation,
    });
    await this.deps.capacity.rekey(claimId, call.callId).catch((err: Error) => logger.warn({ err, call_id: call.callId }, 'inbound slot not recorded'));
    logger.info({ call_id: call.callId, channel_id: channel.id, to, from, agent_id: reply.agent_id }, 'inbound call accepted');
    const at = ariTimestampToIso(event.timestamp);
    liveCalls.apply(call, [
      { type: 'initiated', at },
      { type: 'ringing', at },
    ]);
    liveCalls.track(call);
    try {
      await conn.client.channels.answer(channel.id);
    } catch (err) {
      if (err instanceof AriError && err.isNotFound) {
        // The caller gave up first; its ChannelDestroyed (held, or on its way) ends the call.
        return;
      }
      logger.warn({ err, call_id: call.callId }, 'could not answer inbound call');
      await liveCalls.hangup(call, { by: 'system', outcome: { status: 'failed', errorCode: 'originate_failed', errorMessage: `answer failed: ${(err as Error).message}` } }).catch(() => undefined);
    }
  }
}

/** A uuid named after the channel (channel ids of real Asterisk are not uuids), for the claim's slot row. */
export function inboundClaimId(channelId: string): string {
  const h = createHash('sha1').update(`parley-inbound:${channelId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
