import { AriError } from '@parley/ari-client';
import { type CallStatus, DialerCommand, DialerCommandReply } from '@parley/common';
import type { TrunksRepository } from '@parley/db';
import type { Bus, Logger } from '@parley/service-kit';
import type { Subscription } from 'nats';
import type { LiveCall } from '../calls/live-call';
import type { LiveCalls } from '../calls/live-calls';
import type { OriginationQueue } from '../dispatch/origination-queue';
import { trunkEndpointName } from '../trunks/trunk-endpoint';

/**
 * `dialer.command.<call id>`: hang up, blind transfer, DTMF. Every dialer listens (no queue group); only the one
 * tracking the call answers, the others stay silent so the requester gets exactly one reply.
 */
export class DialerCommands {
  private sub: Subscription | undefined;

  constructor(
    private readonly deps: {
      bus: Bus;
      liveCalls: LiveCalls;
      queue: OriginationQueue;
      trunks: Pick<TrunksRepository, 'address'>;
      logger: Logger;
    },
  ) {}

  start(): void {
    const { bus } = this.deps;
    this.sub = bus.serve(bus.subjects.allDialerCommands, DialerCommand, DialerCommandReply, (cmd) => this.handle(cmd));
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  async handle(cmd: DialerCommand): Promise<DialerCommandReply | undefined> {
    const { liveCalls, queue, logger } = this.deps;
    const call = liveCalls.get(cmd.call_id);
    if (!call) {
      if (cmd.command === 'hangup' && queue.cancel(cmd.call_id, cmd.reason)) return { ok: true, status: 'canceled' };
      if (queue.has(cmd.call_id)) return { ok: false, error: 'call is queued and not connected yet', status: 'queued' };
      return undefined;
    }
    if (call.machine.isEnded) return { ok: false, error: 'call already ended', status: statusOf(call) };
    logger.info({ call_id: call.callId, command: cmd.command }, 'dialer command');
    try {
      switch (cmd.command) {
        case 'hangup':
          await liveCalls.hangup(call, { by: cmd.reason });
          return { ok: true, status: statusOf(call) };
        case 'dtmf':
          if (!call.machine.answered) return { ok: false, error: 'call is not answered', status: statusOf(call) };
          await inStasis(call);
          await call.conn.client.channels.sendDtmf(call.channelId, cmd.digits);
          return { ok: true, status: statusOf(call) };
        case 'transfer':
          return await this.transfer(call, cmd.destination);
      }
    } catch (err) {
      const message = err instanceof AriError ? `${err.status}: ${err.asteriskMessage}` : (err as Error).message;
      logger.warn({ err, call_id: call.callId, command: cmd.command }, 'dialer command failed');
      return { ok: false, error: message, status: statusOf(call) };
    }
  }

  /**
   * Blind transfer: Asterisk redirects the channel (a SIP REFER to the carrier) to a number on the call's trunk or
   * to a SIP URI; when the far end takes it, our leg hangs up and the call ends as completed, by the agent.
   */
  private async transfer(call: LiveCall, destination: string): Promise<DialerCommandReply> {
    if (!call.machine.answered) return { ok: false, error: 'only an answered call can be transferred', status: statusOf(call) };
    const trunk = await this.deps.trunks.address(call.trunkId);
    const target = /^sips?:/i.test(destination) ? destination : trunk && !trunk.sandbox && trunk.host ? `sip:${destination}@${trunk.host}${trunk.port ? `:${trunk.port}` : ''}` : `${destination}@${trunk ? trunkEndpointName(trunk) : 'sandbox'}`;
    await inStasis(call);
    const alreadyHangingUp = call.machine.hangupRequested !== null;
    call.machine.requestHangup({ by: 'agent' });
    try {
      await call.conn.client.channels.redirect(call.channelId, `PJSIP/${target}`);
    } catch (err) {
      if (!alreadyHangingUp) call.machine.withdrawHangup();
      throw err;
    }
    return { ok: true, status: statusOf(call) };
  }
}

/** How long a command waits for an answered call's StasisStart, which comes a few ms after its Up. */
const STASIS_WAIT_MS = 2000;

/**
 * An originated call is answered (ChannelStateChange Up) before it enters Stasis (fixtures/asterisk-22/races/
 * originate-order.json, 10 of 10), and until then Asterisk refuses DTMF and redirect (409): a command that lands in
 * between waits for the StasisStart.
 */
async function inStasis(call: LiveCall): Promise<void> {
  if (!call.machine.inStasisApp) await call.conn.stasis.whenInStasis(call.channelId, STASIS_WAIT_MS);
}

function statusOf(call: LiveCall): CallStatus {
  switch (call.machine.phase) {
    case 'dialing':
      return 'initiated';
    case 'ringing':
      return 'ringing';
    case 'answered':
      return 'in_progress';
    case 'ended':
      return call.machine.answered ? 'completed' : 'failed';
  }
}
