import { AriError } from '@parley/ari-client';
import { ErrorCodes } from '@parley/common';
import { type Logger, PeriodicCheck } from '@parley/service-kit';
import type { LiveCalls } from '../calls/live-calls';
import type { AsteriskConnections } from '../telephony/asterisk-connections';
import type { TrunkCapacity } from '../trunks/trunk-capacity';
import type { ChannelAdoption } from './channel-adoption';

/** Slack over the ring timeout before we hang up ourselves (Asterisk's own timeout should have fired). */
const RING_BACKSTOP_MS = 15_000;
/** How long a hang-up we sent may go without its ChannelDestroyed before we look. */
const HANGUP_CONFIRM_MS = 10_000;

/**
 * Makes sure no call stays live forever: hangs up calls past their max duration (the agent's setting, carried on
 * the call), rings that outlast their timeout, and ends calls whose hang-up never got confirmed; then reconciles each
 * Asterisk connection (orphaned calls of dead dialers included).
 */
export class CallWatchdog {
  private readonly periodic: PeriodicCheck;

  constructor(
    private readonly deps: { liveCalls: LiveCalls; connections: AsteriskConnections; adoption: ChannelAdoption; capacity: TrunkCapacity; intervalMs: number; logger: Logger },
  ) {
    this.periodic = new PeriodicCheck({ what: 'watchdog tick', intervalMs: deps.intervalMs, logger: deps.logger }, () => this.run());
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    void this.periodic.stop();
  }

  tick(): Promise<void> {
    return this.periodic.tick();
  }

  private async run(): Promise<void> {
    const { liveCalls, logger } = this.deps;
    const now = Date.now();
    for (const call of liveCalls.list()) {
      if (call.machine.isEnded) continue;
      const log = logger.child({ call_id: call.callId });
      try {
        if (call.hangupRequestedAtMs !== null) {
          if (now - call.hangupRequestedAtMs > HANGUP_CONFIRM_MS) {
            const gone = await call.conn.client.channels.get(call.channelId).then(
              () => false,
              (err) => err instanceof AriError && err.isNotFound,
            );
            if (gone) liveCalls.endLost(call, 'hung up, but Asterisk never reported the channel destroyed');
            else await liveCalls.hangup(call, call.machine.hangupRequested ?? { by: 'system' });
          }
        } else if (call.answeredAtMs !== null && now - call.answeredAtMs > call.maxDurationSeconds * 1000) {
          log.info({ max_duration_seconds: call.maxDurationSeconds }, 'max duration reached; hanging up');
          await liveCalls.hangup(call, { by: 'system', outcome: { status: 'completed', errorCode: ErrorCodes.maxDurationExceeded, errorMessage: `the call reached its maximum duration of ${call.maxDurationSeconds} s` } });
        } else if (call.answeredAtMs === null && !call.machine.answered && now - call.trackedAtMs > call.ringTimeoutSeconds * 1000 + RING_BACKSTOP_MS) {
          log.warn({ ring_timeout_seconds: call.ringTimeoutSeconds }, 'still not answered well past the ring timeout; hanging up');
          await liveCalls.hangup(call, { by: 'system', outcome: { status: 'no_answer', errorCode: null, errorMessage: 'ring timeout' } });
        }
      } catch (err) {
        log.warn({ err }, 'watchdog action failed');
      }
    }
    for (const conn of this.deps.connections.all()) if (conn.isConnected) await this.deps.adoption.reconcile(conn);
    const swept = await this.deps.capacity.sweep();
    if (swept > 0) logger.info({ slots: swept }, 'freed trunk slots left by dead dialers');
  }
}
