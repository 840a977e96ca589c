import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type AttemptOutcome, CallCreate, ErrorCodes } from '@parley/common';
import { type CampaignEntity, type CampaignRecipientEntity, CampaignsRepository, type EndedAttempt } from '@parley/db';
import { LOGGER, type Logger } from '@parley/service-kit';
import { CallContexts } from '../calls/call-context';
import { CallProjector } from '../calls/call-projector';
import { CallsService } from '../calls/calls.service';
import { API_CONFIG, type ApiConfig } from '../config';
import { ApiError } from '../http/api-error';
import { CampaignEvents } from './campaign-events';
import { nextCallableInAll } from './calling-window';
import { numberTimeZones } from './number-time-zones';

/** A claimed attempt whose call was not placed after this long (its scheduler stopped in between) is placed again. */
const UNPLACED_AFTER_MS = 15_000;
/** Due recipients looked at per campaign and tick beyond its free lines, to move those outside their hours. */
const LOOKAHEAD = 50;

/**
 * Places campaigns' calls. Each tick, per campaign: records the attempts whose call ended (done, a retry after the
 * backoff, or exhausted), places claimed attempts a stopped scheduler left without a call, starts a scheduled campaign
 * at its start_at, completes one at its end_at or when no recipient is left, and claims due recipients up to the free
 * lines (max_concurrent_calls minus live attempts), each within its calling hours in its own time zone; the others
 * move to their next opening. Claims hold row locks (SKIP LOCKED) and mark the recipient live before the call is
 * placed, and the call's Idempotency-Key is the attempt's, so two schedulers or a restarted one never call a
 * recipient twice at once. A campaign takes only its trunk's idle lines (none that a queued call, from the API or
 * another campaign, waits for), so it cannot starve calls placed through the API; the trunk's calls per second apply
 * in the dialer as for any call. Besides the tick, a campaign is stepped as soon as one of its calls ends (the
 * projector says so), so a freed line is filled at once; steps of one campaign never overlap in this process.
 */
@Injectable()
export class CampaignScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  /** Campaigns being stepped, and whether to step them once more when done. */
  private readonly stepping = new Map<string, { again: boolean; done: Promise<void> }>();

  constructor(
    private readonly campaigns: CampaignsRepository,
    private readonly calls: CallsService,
    private readonly contexts: CallContexts,
    projector: CallProjector,
    private readonly events: CampaignEvents,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // With CAMPAIGN_TICK_MS=0 (tests driving the clock) only tick() steps campaigns.
    if (config.CAMPAIGN_TICK_MS > 0) projector.onCampaignCallEnded((id) => this.nudge(id));
  }

  onApplicationBootstrap(): void {
    if (this.config.CAMPAIGN_TICK_MS > 0) this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all([...this.stepping.values()].map((s) => s.done));
  }

  /** Steps a campaign now (one of its calls ended). */
  nudge(campaignId: string): void {
    if (this.stopped) return;
    void this.step(campaignId, () => this.campaigns.byId(campaignId), () => new Date());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((err) => this.logger.error({ err }, 'campaign tick failed'))
        .finally(() => this.schedule());
    }, this.config.CAMPAIGN_TICK_MS);
  }

  /** One round over every campaign that has work; `now` is the clock (tests pass their own). */
  async tick(now = new Date()): Promise<void> {
    for (const c of await this.campaigns.active()) {
      if (this.stopped) return;
      // The row just read serves the first step; a step asked for again meanwhile reads the campaign afresh.
      let first: CampaignEntity | null = c;
      const load = async () => {
        const row = first;
        first = null;
        return row ?? this.campaigns.byId(c.id);
      };
      await this.step(c.id, load, () => now);
    }
  }

  /** Advances the campaign, or, if it is being advanced, once more after that (steps of one campaign never overlap). */
  private step(id: string, load: () => Promise<CampaignEntity | null>, now: () => Date): Promise<void> {
    const running = this.stepping.get(id);
    if (running) {
      running.again = true;
      return running.done;
    }
    const state = { again: true, done: Promise.resolve() };
    state.done = (async () => {
      try {
        while (state.again && !this.stopped) {
          state.again = false;
          const c = await load();
          if (c) await this.advance(c, now()).catch((err) => this.logger.error({ err, campaign_id: id }, 'campaign step failed'));
        }
      } finally {
        this.stepping.delete(id);
      }
    })();
    this.stepping.set(id, state);
    return state.done;
  }

  private async advance(c: CampaignEntity, now: Date): Promise<void> {
    for (const ended of await this.campaigns.endedAttempts(c.id)) await this.record(c, ended, now);
    if (c.status !== 'scheduled' && c.status !== 'running') return;
    if (!(await this.placeAll(c, await this.campaigns.unplaced(c.id, UNPLACED_AFTER_MS)))) return;
    if (c.status === 'scheduled') {
      if (c.schedule.start_at && Date.parse(c.schedule.start_at) > now.getTime()) return;
      // Paused or canceled through the API since this tick read it: leave it.
      if (!(await this.campaigns.transition(c.accountId, c.id, ['scheduled'], { status: 'running' }))) return;
      c.status = 'running';
      // Sent once: the same event id when a resumed campaign runs again (the outbox keeps the first).
      await this.events.announce(c.accountId, c.id, 'campaign.started', 'once');
    }
    if (c.schedule.end_at && Date.parse(c.schedule.end_at) <= now.getTime()) return this.complete(c, now);
    // Per time zone (or a number's country's zones): the same answer for every recipient there this tick.
    const opens = new Map<string, Date | null>();
    const claimed = await this.campaigns.claimDue(c.id, now, c.maxConcurrentCalls, await this.trunkIdle(c), LOOKAHEAD, (due, free) => {
      const start: string[] = [];
      const defer: Array<{ id: string; at: Date }> = [];
      const skip: string[] = [];
      for (const r of due) {
        const zones = recipientZones(r.timezone ?? c.schedule.timezone, r.toNumber);
        const key = zones.join(' ');
        if (!opens.has(key)) opens.set(key, nextCallableInAll(now, c.schedule.window, zones));
        const at = opens.get(key)!;
        if (!at) skip.push(r.id);
        else if (at.getTime() > now.getTime()) defer.push({ id: r.id, at });
        else if (start.length < free) start.push(r.id);
      }
      return { start, defer, skip };
    });
    if (!(await this.placeAll(c, claimed))) return;
    if (!(await this.campaigns.unfinished(c.id))) await this.complete(c, now);
  }

  /** The idle lines of the trunk the campaign calls from; unbounded when that is unknown (placing the call says why). */
  private async trunkIdle(c: CampaignEntity): Promise<number> {
    try {
      const { from } = await this.contexts.get(c.accountId, { agent_id: c.agentId, from_number: c.fromNumber ?? undefined });
      return await this.campaigns.idleLines(from.trunkId);
    } catch (err) {
      if (err instanceof ApiError) return Number.MAX_SAFE_INTEGER;
      throw err;
    }
  }

  /** Places claimed attempts in turn; once the campaign pauses, the rest go back to waiting. False if it paused. */
  private async placeAll(c: CampaignEntity, claimed: CampaignRecipientEntity[]): Promise<boolean> {
    for (const [i, r] of claimed.entries()) {
      if (await this.place(c, r)) continue;
      for (const rest of claimed.slice(i + 1)) await this.giveBack(rest);
      return false;
    }
    return true;
  }

  /** A claimed attempt that did not happen: the recipient waits again, its attempt not counted. */
  private giveBack(r: CampaignRecipientEntity): Promise<boolean> {
    return this.campaigns.settle(r.id, r.attempts, { state: 'pending', outcome: r.outcome, nextAttemptAt: new Date(), attempts: r.attempts - 1 });
  }

  /** Places a claimed attempt's call; false when the campaign had to pause (no credit, or calls refused). */
  private async place(c: CampaignEntity, r: CampaignRecipientEntity): Promise<boolean> {
    const input = CallCreate.parse({
      agent_id: c.agentId,
      to: r.toNumber,
      ...(c.fromNumber ? { from_number: c.fromNumber } : {}),
      context: r.context,
      metadata: r.metadata,
      ...(c.webhookUrl ? { webhook_url: c.webhookUrl } : {}),
    });
    try {
      const { call } = await this.calls.create(c.accountId, input, `campaign:${r.id}:${r.attempts}`, c.id);
      await this.campaigns.attachCall(r.id, call.id);
      return true;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.code === ErrorCodes.doNotCall) {
        await this.campaigns.settle(r.id, r.attempts, { state: 'skipped', outcome: 'do_not_call', nextAttemptAt: null, attempts: r.attempts - 1 });
        return true;
      }
      // The attempt did not happen: the recipient waits, and the campaign stops until someone looks.
      await this.giveBack(r);
      const reason = err.code === ErrorCodes.insufficientCredit ? 'insufficient_credit' : `calls refused: ${err.message}`;
      if (await this.campaigns.transition(c.accountId, c.id, ['scheduled', 'running'], { status: 'paused', pausedReason: reason })) {
        this.logger.warn({ campaign_id: c.id, reason }, 'campaign paused');
        await this.events.announce(c.accountId, c.id, 'campaign.paused');
      }
      return false;
    }
  }

  /** What an ended attempt leaves: done, a retry after the backoff, or exhausted. */
  private async record(c: CampaignEntity, { recipient: r, callStatus, answeredBy }: EndedAttempt, now: Date): Promise<void> {
    const outcome: AttemptOutcome = callStatus === 'completed' ? (answeredBy === 'machine' ? 'voicemail' : 'completed') : (callStatus as AttemptOutcome);
    const retryable = (c.retry.on as readonly string[]).includes(outcome);
    if (retryable && r.attempts < c.retry.max_attempts && c.status !== 'canceled') {
      await this.campaigns.settle(r.id, r.attempts, { state: 'pending', outcome, nextAttemptAt: new Date(now.getTime() + c.retry.backoff_minutes * 60_000) });
    } else {
      await this.campaigns.settle(r.id, r.attempts, { state: retryable ? 'exhausted' : 'done', outcome, nextAttemptAt: null });
    }
  }

  private async complete(c: CampaignEntity, now: Date): Promise<void> {
    if (!(await this.campaigns.transition(c.accountId, c.id, ['scheduled', 'running'], { status: 'completed', completedAt: now }))) return;
    this.logger.info({ campaign_id: c.id }, 'campaign completed');
    await this.events.announce(c.accountId, c.id, 'campaign.completed', 'once');
  }
}


/** The zones a recipient may be in: its own or the campaign's, else its number's country's (UTC when unknown). */
function recipientZones(timeZone: string | null, toNumber: string): readonly string[] {
  if (timeZone) return [timeZone];
  const zones = numberTimeZones(toNumber);
  return zones.length ? zones : ['UTC'];
}
