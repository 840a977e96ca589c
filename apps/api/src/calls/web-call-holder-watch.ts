import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ErrorCodes } from '@parley/common';
import { CallsRepository, WebCallTokensRepository } from '@parley/db';
import { Bus, type HolderProbe, LOGGER, type Logger, lostHolders, Metrics, NatsHolderProbe, PeriodicCheck } from '@parley/service-kit';
import { API_CONFIG, type ApiConfig } from '../config';
import { CallsService } from './calls.service';
import { WebCallsService } from './web-calls.service';

/** Connected web calls looked at per pass: beyond that, the oldest first (the rest at the next pass). */
const BATCH = 1000;

/**
 * Ends, within seconds, connected web calls whose media process died: a web call has no dialer, and the browser may
 * stay on the line with dead air. Same two signals as the dialer's check of phone calls (`lostHolders`): the holder's
 * load adverts stopped (or come from a new start) and it does not answer a status request for the call. Such a call
 * ends `completed` (it was connected), `error_code` media_lost, billed to now. Every api process checks (an end is
 * idempotent: one of them ends it); the watchdog's slower sweep stays as the net for calls with no recorded holder.
 */
@Injectable()
export class WebCallHolderWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly periodic: PeriodicCheck;
  private readonly lost: ReturnType<Metrics['counter']>;
  private probe: HolderProbe;

  constructor(
    private readonly tokens: WebCallTokensRepository,
    private readonly rows: CallsRepository,
    private readonly calls: CallsService,
    private readonly webCalls: WebCallsService,
    bus: Bus,
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.probe = new NatsHolderProbe(bus);
    this.lost = metrics.counter('parley_api_web_calls_media_lost_total', 'Connected web calls ended because the media process holding them was lost');
    this.periodic = new PeriodicCheck({ what: 'web call media check', intervalMs: config.API_WEB_CALL_MEDIA_CHECK_MS, logger }, () => this.check().then(() => undefined));
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** For tests: a probe that is not NATS. */
  useProbe(probe: HolderProbe): void {
    this.probe = probe;
  }

  /** One pass; returns the calls it ended. */
  async check(): Promise<string[]> {
    const held = await this.tokens.connectedHolders(BATCH);
    const lost = await lostHolders(held, this.webCalls.loads, this.probe, this.logger);
    const ended: string[] = [];
    for (const { callId, accountId, holder } of lost) {
      const call = await this.rows.get(accountId, callId);
      if (!call) continue;
      const outcome = { status: 'completed' as const, hangupCause: `The media process holding the web call (${holder}) stopped: no load advert for three intervals and no answer to a status request`, errorCode: ErrorCodes.mediaLost, hangupBy: 'system' as const };
      if (call.status !== 'in_progress' || !(await this.calls.endHere(call, outcome))) continue;
      this.lost.inc();
      ended.push(callId);
      this.logger.warn({ call_id: callId, media_id: holder }, 'ended a web call whose media process is gone');
    }
    return ended;
  }
}
