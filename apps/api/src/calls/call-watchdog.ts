import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DialerCommand, ErrorCodes, WEB_CALL_TOKEN_TTL_SECONDS } from '@parley/common';
import { CallsRepository } from '@parley/db';
import { Bus, LOGGER, type Logger } from '@parley/service-kit';
import { API_CONFIG, type ApiConfig } from '../config';
import { CallsService } from './calls.service';

/**
 * Ends calls that nothing drives any more: queued far too long (no dialer took them), ringing past the ring timeout,
 * or connected past max duration, plus grace. The dialers have their own watchdog for channels they hold; this one
 * covers a dialer that died for good, so no call stays live and no credit reservation is held forever.
 */
@Injectable()
export class CallWatchdog implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly rows: CallsRepository,
    private readonly calls: CallsService,
    private readonly bus: Bus,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.sweep().catch((err) => this.logger.warn({ err }, 'watchdog sweep failed')), this.config.API_WATCHDOG_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass; returns how many calls it ended. Only one api process sweeps at a time (advisory lock). */
  sweep(): Promise<number> {
    this.running ??= this.sweepOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async sweepOnce(): Promise<number> {
    const sweep = await this.rows.whileSweeping(async () => {
      const stale = await this.rows.findStale({
        queuedSeconds: this.config.API_QUEUED_CALL_TIMEOUT_SECONDS,
        graceSeconds: this.config.API_WATCHDOG_GRACE_SECONDS,
        // A web call whose token ran out unused can no longer connect (20 s: a connect made at the last moment has
        // its media answer, 10 s at most, and its answer event by then).
        webQueuedSeconds: WEB_CALL_TOKEN_TTL_SECONDS + 20,
        limit: 500,
      });
      let ended = 0;
      for (const call of stale) {
        // Best effort: if a dialer still holds a channel, it hangs it up.
        this.bus.publish(this.bus.subjects.dialerCommand(call.id), DialerCommand, { command: 'hangup', call_id: call.id, reason: 'system' });
        const outcome =
          call.status === 'queued' && call.channel === 'web'
            ? { status: 'canceled' as const, hangupCause: 'Never connected: the access token expired unused', errorCode: null }
            : call.status === 'queued'
            ? { status: 'failed' as const, hangupCause: 'Never dispatched: no dialer took the call in time', errorCode: ErrorCodes.dispatchTimeout }
            : call.answeredAt
              ? { status: 'completed' as const, hangupCause: 'Ended by the watchdog past max duration', errorCode: ErrorCodes.maxDurationExceeded }
              : { status: 'failed' as const, hangupCause: 'Ended by the watchdog: no dialer reported the call', errorCode: ErrorCodes.dialerLost };
        if (await this.calls.endHere(call, outcome)) ended++;
        this.logger.warn({ call: call.id, was: call.status, code: outcome.errorCode }, 'watchdog ended a stale call');
      }
      return ended;
    });
    return sweep.ran ? sweep.value : 0;
  }
}
