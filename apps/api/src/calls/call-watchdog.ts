import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DialerCommand, ErrorCodes, MediaAck, MediaStatusRequest, WEB_CALL_TOKEN_TTL_SECONDS } from '@parley/common';
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
  /** Connected web calls whose media process did not answer at the last sweep. */
  private webCallMisses = new Map<string, number>();

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
      return ended + (await this.endLostWebCalls());
    });
    return sweep.ran ? sweep.value : 0;
  }

  /**
   * A connected web call has no dialer: the media process holding it reports its end. If that process died, nothing
   * would until max duration; so each sweep asks every connected web call's holder, and a call whose holder stayed
   * silent at two sweeps in a row ends (completed, media_lost, billed to now).
   */
  private async endLostWebCalls(): Promise<number> {
    const live = await this.rows.connectedWebCalls(500);
    const answered = await Promise.all(
      live.map((call) =>
        this.bus
          .request(this.bus.subjects.mediaSession(call.id, 'status'), MediaStatusRequest, { call_id: call.id }, MediaAck, this.config.API_DIALER_COMMAND_TIMEOUT_MS)
          .then((r) => r.ok)
          .catch(() => false),
      ),
    );
    const missed = new Map<string, number>();
    let ended = 0;
    for (const [i, call] of live.entries()) {
      if (answered[i]) continue;
      const misses = (this.webCallMisses.get(call.id) ?? 0) + 1;
      missed.set(call.id, misses);
      if (misses < 2) continue;
      missed.delete(call.id);
      const outcome = { status: 'completed' as const, hangupCause: 'The media process holding the web call stopped answering', errorCode: ErrorCodes.mediaLost };
      if (await this.calls.endHere(call, outcome)) ended++;
      this.logger.warn({ call: call.id, code: outcome.errorCode }, 'watchdog ended a web call whose media process is gone');
    }
    // Only calls still missing carry their count to the next sweep.
    this.webCallMisses = missed;
    return ended;
  }
}
