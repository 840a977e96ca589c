import { AriError, type AriEvent } from '@parley/ari-client';
import { ErrorCodes } from '@parley/common';
import type { Bus, Logger, MediaPlacement } from '@parley/service-kit';
import type { DialerConfig } from '../config';
import { MediaLeg, type MediaLegOptions, MediaUnavailableError } from '../media/media-leg';
import type { DialerMetrics } from '../metrics/dialer-metrics';
import type { AsteriskConnection } from '../telephony/asterisk-connections';
import type { TrunkCapacity } from '../trunks/trunk-capacity';
import type { CallEventPublisher } from './call-event-publisher';
import type { CallTransition, EndedData, OwnHangup } from './call-state-machine';
import type { LiveCall } from './live-call';

const RECENTLY_ENDED_MS = 10 * 60_000;

/**
 * Every call this dialer tracks, keyed by its channel: ARI events are routed here by channel id (our own id for
 * originated calls, since events arrive before the originate response), turned into transitions by each call's
 * CallStateMachine, and acted on: events published in order, media connected on answer and torn down at the end.
 */
export class LiveCalls {
  private readonly byChannel = new Map<string, LiveCall>();
  private readonly byCall = new Map<string, LiveCall>();
  private readonly byMediaChannel = new Map<string, LiveCall>();
  /** Events of channels about to be tracked (an inbound call while the api creates its row, a call being adopted). */
  private readonly held = new Map<string, AriEvent[]>();
  /** Open adoption windows: while there is one, the events of untracked channels are kept in `unclaimed`. */
  private adoptionWindows = 0;
  private readonly unclaimed = new Map<string, AriEvent[]>();
  private readonly recentlyEnded = new Map<string, number>();
  private readonly idleWaiters = new Set<() => void>();

  constructor(
    private readonly deps: {
      bus: Bus;
      /** Where each answered call's RTP endpoint comes from: the least loaded media process. */
      placement: MediaPlacement;
      publisher: CallEventPublisher;
      capacity: TrunkCapacity;
      config: Pick<DialerConfig, 'DIALER_ID' | 'MEDIA_CODEC' | 'ARI_APP' | 'MEDIA_REQUEST_TIMEOUT_MS'>;
      metrics: DialerMetrics;
      logger: Logger;
    },
  ) {}

  get size(): number {
    return this.byCall.size;
  }
  list(): LiveCall[] {
    return [...this.byCall.values()];
  }
  get(callId: string): LiveCall | undefined {
    return this.byCall.get(callId);
  }
  /** A channel that belongs to a tracked call (its phone channel or its ExternalMedia channel). */
  owns(channelId: string): boolean {
    return this.byChannel.has(channelId) || this.byMediaChannel.has(channelId);
  }
  wasRecentlyEnded(callId: string): boolean {
    return this.recentlyEnded.has(callId);
  }

  /** A channel being taken on (inbound) whose call is not tracked yet. */
  isHeld(channelId: string): boolean {
    return this.held.has(channelId);
  }

  /** Starts holding the events of a channel that is not tracked yet (with those an open adoption window kept). */
  hold(channelId: string): void {
    if (this.held.has(channelId)) return;
    this.held.set(channelId, this.unclaimed.get(channelId) ?? []);
    this.unclaimed.delete(channelId);
  }

  /**
   * Keeps the events of every untracked channel from now until the returned function is called. An adoption lists
   * Asterisk's channels, then takes some on a few round trips later: a channel that hung up in between would
   * otherwise end with its ChannelDestroyed lost, as a call lost by the system instead of one the caller ended.
   */
  openAdoptionWindow(): () => void {
    this.adoptionWindows++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      if (--this.adoptionWindows === 0) this.unclaimed.clear();
    };
  }
  release(channelId: string): void {
    this.held.delete(channelId);
  }

  /**
   * Starts tracking a call: `found` (what an adoption found of it in GET /channels) is applied first, then the
   * events held for its channel, which happened after.
   */
  track(call: LiveCall, found: CallTransition[] = []): void {
    this.byChannel.set(call.channelId, call);
    this.byCall.set(call.callId, call);
    this.deps.metrics.activeCalls.inc({ trunk_id: call.trunkId });
    this.apply(call, found);
    const held = this.held.get(call.channelId);
    this.held.delete(call.channelId);
    for (const event of held ?? []) this.onAriEvent(call.conn, event);
  }

  onAriEvent(conn: AsteriskConnection, event: AriEvent): void {
    for (const channelId of channelIdsOf(event)) {
      const call = this.byChannel.get(channelId);
      if (call && call.conn === conn) {
        this.apply(call, call.machine.onAriEvent(event));
        continue;
      }
      const owner = this.byMediaChannel.get(channelId);
      if (owner && owner.conn === conn) {
        if (event.type === 'ChannelDestroyed') this.onMediaChannelGone(owner);
        continue;
      }
      const held = this.held.get(channelId) ?? (this.adoptionWindows > 0 ? this.unclaimedEventsOf(channelId) : undefined);
      held?.push(event);
    }
  }

  private unclaimedEventsOf(channelId: string): AriEvent[] {
    let events = this.unclaimed.get(channelId);
    if (!events) this.unclaimed.set(channelId, (events = []));
    return events;
  }

  /** Publishes and acts on transitions, in order. */
  apply(call: LiveCall, transitions: CallTransition[]): void {
    for (const t of transitions) {
      switch (t.type) {
        case 'initiated':
          this.publish(call, 'initiated', t.at, { channel_id: call.channelId, dialer_id: this.deps.config.DIALER_ID, asterisk: call.conn.name });
          break;
        case 'ringing':
          this.publish(call, 'ringing', t.at, {});
          break;
        case 'answered':
          call.answeredAtMs = Date.parse(t.at) || Date.now();
          this.publish(call, 'answered', t.at, {});
          break;
        case 'in_stasis':
          if (!call.mediaTask) call.mediaTask = this.connectMedia(call, t.at);
          break;
        case 'ended':
          this.end(call, t.at, t.data);
          break;
      }
    }
  }

  /** Hangs the call up through ARI; the ChannelDestroyed that follows ends it with the outcome given here. */
  async hangup(call: LiveCall, own: OwnHangup, reason: string = 'normal'): Promise<void> {
    if (call.machine.isEnded) return;
    call.machine.requestHangup(own);
    call.hangupRequestedAtMs ??= Date.now();
    try {
      await call.conn.client.channels.hangup(call.channelId, { reason });
    } catch (err) {
      // 404: the channel is already gone; its ChannelDestroyed is on its way (or was missed: the watchdog checks).
      if (!(err instanceof AriError && err.isNotFound)) throw err;
    }
  }

  /** Ends a call whose channel is gone without us seeing its ChannelDestroyed (restart, events outage). */
  endLost(call: LiveCall, message: string): void {
    const answered = call.machine.answered;
    this.apply(
      call,
      call.machine.fail(new Date().toISOString(), answered ? { status: 'completed', errorCode: null, errorMessage: message } : { status: 'failed', errorCode: ErrorCodes.dialerLost, errorMessage: message }),
    );
  }

  /**
   * Ends a call whose Asterisk has been unreachable for ASTERISK_LOST_AFTER_MS: `asterisk_lost`, completed if it was
   * answered (billed to now), failed otherwise. Its channel is hung up if that Asterisk comes back.
   */
  endAsteriskLost(call: LiveCall): void {
    if (call.machine.isEnded) return;
    const message = `the Asterisk carrying the call (${call.conn.name}) stopped answering`;
    call.conn.abandoned.add(call.channelId);
    if (call.media) call.conn.abandoned.add(call.media.externalChannelId);
    this.apply(call, call.machine.fail(new Date().toISOString(), { status: call.machine.answered ? 'completed' : 'failed', errorCode: ErrorCodes.asteriskLost, errorMessage: message }));
  }

  /** Stops tracking a call that never reached Asterisk (its originate was refused; another Asterisk may take it), publishing nothing. */
  forget(call: LiveCall): void {
    this.untrack(call);
  }

  /** Live calls this dialer tracks on the Asterisk of that name. */
  countOn(asteriskName: string): number {
    let n = 0;
    for (const call of this.byCall.values()) if (call.conn.name === asteriskName && !call.machine.isEnded) n++;
    return n;
  }

  /** Resolves when no call is tracked any more, or after `timeoutMs`; returns how many are still live. */
  async whenIdle(timeoutMs: number): Promise<number> {
    if (this.byCall.size === 0) return 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      const waiter = () => done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.add(waiter);
    });
    return this.byCall.size;
  }

  private publish<T extends 'initiated' | 'ringing' | 'answered' | 'ended'>(call: LiveCall, type: T, at: string, data: Parameters<CallEventPublisher['publish']>[3] & object): void {
    call.publishing = call.publishing
      .then(() => this.deps.publisher.publish(type, { callId: call.callId, accountId: call.accountId }, at, data as never))
      .catch((err: Error) => this.deps.logger.error({ err, call_id: call.callId, type }, 'call event lost'));
  }

  private async connectMedia(call: LiveCall, answeredAt: string): Promise<void> {
    const { logger } = this.deps;
    const leg = new MediaLeg(call, call.conn, this.deps.bus, this.mediaLegOptions, logger);
    call.media = leg;
    this.byMediaChannel.set(leg.externalChannelId, call);
    try {
      await leg.connect(answeredAt);
    } catch (err) {
      if (call.machine.isEnded || call.machine.hangupRequested) return;
      const message = err instanceof MediaUnavailableError ? err.message : `media set-up failed: ${(err as Error).message}`;
      logger.warn({ call_id: call.callId, err }, 'media unavailable; hanging up');
      await this.hangup(call, { by: 'system', outcome: { status: 'failed', errorCode: ErrorCodes.mediaUnavailable, errorMessage: message } }).catch((e: Error) =>
        logger.error({ err: e, call_id: call.callId }, 'hang-up after media failure failed'),
      );
    }
  }

  /** Adopts the media path of a call found already bridged (after a restart). */
  adoptMedia(call: LiveCall): void {
    const leg = MediaLeg.existing(call, call.conn, this.deps.bus, this.mediaLegOptions, this.deps.logger);
    call.media = leg;
    call.mediaTask = Promise.resolve();
    this.byMediaChannel.set(leg.externalChannelId, call);
  }

  private get mediaLegOptions(): MediaLegOptions {
    const { config, placement } = this.deps;
    return { codec: config.MEDIA_CODEC, app: config.ARI_APP, timeoutMs: config.MEDIA_REQUEST_TIMEOUT_MS, placement };
  }

  private onMediaChannelGone(call: LiveCall): void {
    if (call.machine.isEnded || call.machine.hangupRequested) return;
    this.deps.logger.warn({ call_id: call.callId }, 'ExternalMedia channel vanished mid-call; hanging up');
    void this.hangup(call, { by: 'system' }).catch((err: Error) => this.deps.logger.error({ err, call_id: call.callId }, 'hang-up failed'));
  }

  private end(call: LiveCall, at: string, data: EndedData): void {
    const { logger, metrics, capacity } = this.deps;
    this.recentlyEnded.set(call.callId, Date.now());
    this.publish(call, 'ended', at, data);
    metrics.outcomes.inc({ status: data.status, error_code: data.error_code ?? '', direction: call.direction });
    logger.info({ call_id: call.callId, status: data.status, cause: data.hangup_cause_code, hangup_by: data.hangup_by, error_code: data.error_code }, 'call ended');
    void (async () => {
      await call.publishing;
      const media = call.media;
      if (media) {
        await call.mediaTask?.catch(() => undefined);
        await media.teardown(data.status).catch((err: Error) => logger.warn({ err, call_id: call.callId }, 'media teardown failed'));
        this.byMediaChannel.delete(media.externalChannelId);
      }
      // Calls queued for the trunk hear of the freed slot from TrunkCapacity.
      await capacity.free(call.callId, call.trunkId).catch((err: Error) => logger.error({ err, call_id: call.callId }, 'trunk slot release failed'));
      this.untrack(call);
      call.finish();
    })();
  }

  private untrack(call: LiveCall): void {
    if (this.byCall.get(call.callId) !== call) return;
    this.byChannel.delete(call.channelId);
    this.byCall.delete(call.callId);
    call.conn.stasis.forget(call.channelId);
    this.deps.metrics.activeCalls.dec({ trunk_id: call.trunkId });
    const cutoff = Date.now() - RECENTLY_ENDED_MS;
    for (const [id, t] of this.recentlyEnded) {
      if (t > cutoff) break;
      this.recentlyEnded.delete(id);
    }
    if (this.byCall.size === 0) for (const w of [...this.idleWaiters]) (this.idleWaiters.delete(w), w());
  }
}

function channelIdsOf(event: AriEvent): string[] {
  const ids: string[] = [];
  const e = event as { channel?: { id?: string }; peer?: { id?: string } };
  if (e.channel?.id) ids.push(e.channel.id);
  if (e.peer?.id && e.peer.id !== e.channel?.id) ids.push(e.peer.id);
  return ids;
}
