import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'nats';
import type { z } from 'zod';
import { MediaAllocateReply, MediaAllocateRequest, MediaAttachRequest, MediaCancel, MediaReleaseRequest, MediaStatusReply, MediaStatusRequest, MediaWebRtcAnswer, MediaWebRtcOffer } from '@parley/common';
import { SecretBox } from '@parley/db';
import { Bus, createGuardedFetch, LOGGER, type Logger, outboundPolicy, Readiness } from '@parley/service-kit';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { MediaMetrics } from '../metrics/media-metrics';
import { createRecordingStore, type RecordingStore } from '@parley/recording-store';
import { RecordingSpool } from '../recording/recording-spool';
import { RecordingUploads } from '../recording/recording-uploads';
import type { Providers } from '../providers/registry';
import { RtpLegs } from '../rtp/rtp-legs';
import { withOpenedSecrets } from './snapshot-secrets';
import { CallSession, type CallSessionDeps, PLACEMENT_WITHDRAWN } from './call-session';
import { LoadAdvertiser, STARTED_AT } from './load-advertiser';
import { type Refusal, SessionAdmission } from './session-admission';
import { WebCall } from '../webrtc/web-call';

export const PROVIDERS = Symbol('PROVIDERS');

/**
 * The media service's side of the call protocol over NATS: `media.<MEDIA_ID>.allocate` (this process only, chosen by a
 * placer from the load it advertises on `media.load`) or `media.allocate` (queue group, for placers that know no
 * adverts) hands out an RTP endpoint for a call, whose conversation snapshot comes with the request; web call offers
 * likewise. Both are refused at MEDIA_MAX_SESSIONS and while shutting down. `attach` starts the conversation and
 * `release` ends it, answered only by the process that holds the session; `cancel` lets go of a call whose placer
 * stopped waiting for this process.
 */
@Injectable()
export class MediaSessions implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly sessions = new Map<string, CallSession>();
  /** Every call's RTP leg, on the native engine's thread (or the event loop's FrameClock). */
  private readonly legs: RtpLegs;
  /** Where calls come in (allocate and offer, direct and queue group): closed first at shutdown. */
  private readonly intake: Subscription[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly admission: SessionAdmission;
  private readonly advertiser: LoadAdvertiser;
  private readonly toolFetch: typeof fetch;
  private readonly answerFetch: typeof fetch;
  private readonly secrets: SecretBox;
  private readonly recordingStore: RecordingStore;
  /** Finished recordings on their way to the store (RECORDINGS_STORE), from this process's calls and a stopped one's. */
  readonly recordings: RecordingUploads;

  constructor(
    @Inject(MEDIA_CONFIG) private readonly config: MediaConfig,
    @Inject(Bus) private readonly bus: Bus,
    @Inject(PROVIDERS) private readonly providers: Providers,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(MediaMetrics) private readonly metrics: MediaMetrics,
    @Inject(Readiness) readiness: Readiness,
  ) {
    this.legs = new RtpLegs({ engine: config.MEDIA_RTP_ENGINE, priority: config.MEDIA_RTP_PRIORITY, threads: config.MEDIA_RTP_THREADS, host: config.MEDIA_RTP_HOST, ports: config.MEDIA_RTP_PORTS, logger });
    logger.info({ engine: this.legs.engine, scheduling: this.legs.scheduling, threads: this.legs.engineStats?.threads }, 'rtp engine ready');
    metrics.rtpEngine.set({ engine: this.legs.engine, scheduling: this.legs.scheduling }, 1);
    this.admission = new SessionAdmission(config.MEDIA_MAX_SESSIONS, () => this.sessions.size);
    metrics.capacity.set(config.MEDIA_MAX_SESSIONS);
    this.advertiser = new LoadAdvertiser({
      bus,
      logger,
      mediaId: config.MEDIA_ID,
      capacity: config.MEDIA_MAX_SESSIONS,
      intervalMs: config.MEDIA_LOAD_INTERVAL_MS,
      load: () => ({ sessions: this.admission.load, accepting: this.admission.accepting }),
      lateFrames: () => metrics.lateFramesTotal,
    });
    readiness.register('accepting_calls', () => this.admission.accepting);
    // A tool's answer is cut to a few KB for the model anyway; more is not read.
    this.toolFetch = createGuardedFetch(outboundPolicy(config), { maxResponseBytes: 64 * 1024 });
    // A conversation webhook's answer is spoken as it streams in.
    this.answerFetch = createGuardedFetch(outboundPolicy(config), { maxResponseBytes: 1024 * 1024, stream: true });
    this.secrets = new SecretBox(config.PARLEY_SECRET_KEY, config.PARLEY_SECRET_KEY_PREVIOUS);
    this.recordingStore = createRecordingStore(config);
    this.recordings = new RecordingUploads({ store: this.recordingStore, spool: new RecordingSpool(config.RECORDINGS_DIR), bus, logger, metrics, retryMs: config.RECORDINGS_UPLOAD_RETRY_MS });
  }

  get active(): number {
    return this.sessions.size;
  }

  onApplicationBootstrap(): void {
    const s = this.bus.subjects;
    const id = this.config.MEDIA_ID;
    for (const queue of ['media', undefined]) {
      this.intake.push(this.bus.serve(queue ? s.mediaAllocate : s.mediaProcess(id, 'allocate'), MediaAllocateRequest, MediaAllocateReply, (req) => this.allocate(req), queue));
      this.intake.push(this.bus.serve(queue ? s.mediaWebRtcOffer : s.mediaProcess(id, 'webrtc_offer'), MediaWebRtcOffer, MediaWebRtcAnswer, (req) => this.answerWebCall(req), queue));
    }
    this.subscriptions.push(this.bus.subscribe(s.mediaProcess(id, 'cancel'), MediaCancel, (req) => this.withdraw(req.call_id)));
    this.subscriptions.push(
      this.bus.serve(s.allMediaSessionCommands, MediaAttachRequest.or(MediaReleaseRequest).or(MediaStatusRequest), MediaStatusReply, async (req, msg) => {
        // An attach names the process its allocate reply came from: another that holds the call too stays out.
        if ('media_id' in req && req.media_id && req.media_id !== id) return undefined;
        const session = this.sessions.get(req.call_id);
        // Another media process holds this call: let it answer.
        if (!session) return undefined;
        if (msg.subject.endsWith('.status')) return { ok: true, media_id: id, started_at: STARTED_AT };
        if (msg.subject.endsWith('.attach')) {
          await session.attach('rtp_remote' in req ? req.rtp_remote : undefined);
          return { ok: true };
        }
        await this.release(session, 'reason' in req ? req.reason : 'released');
        return { ok: true };
      }),
    );
    this.advertiser.start();
    this.recordings.recover().catch((err) => this.logger.error({ err }, 'recordings left in the spool not taken up'));
  }

  async allocate({ call_id: callId, codec, conversation }: MediaAllocateRequest): Promise<MediaAllocateReply> {
    const endpoint = (port: number) => ({ ok: true as const, host: this.config.MEDIA_RTP_HOST, port, session_id: callId, media_id: this.config.MEDIA_ID });
    const existing = this.admission.accepting ? this.sessions.get(callId) : undefined;
    if (existing) return endpoint(existing.port);
    const refusal = this.admit(callId);
    if (refusal) return refusal;
    let session: CallSession;
    try {
      session = await CallSession.open(callId, codec, withOpenedSecrets(conversation, this.secrets, this.logger), this.sessionDeps);
    } catch (err) {
      this.settle(callId);
      throw err;
    }
    if (!this.settle(callId)) {
      await session.release(PLACEMENT_WITHDRAWN);
      return { ok: false, error: 'withdrawn: the call went to another media process' };
    }
    this.track(session);
    this.logger.info({ call_id: callId, codec, port: session.port }, 'rtp endpoint allocated');
    return endpoint(session.port);
  }

  /** A browser's offer for a web call: the answer, and a session that starts when its media connects. */
  async answerWebCall(offer: MediaWebRtcOffer): Promise<MediaWebRtcAnswer> {
    if (this.admission.accepting && this.sessions.has(offer.call_id)) return { ok: false, error: 'this web call is connected already' };
    const refusal = this.admit(offer.call_id);
    if (refusal) return refusal;
    try {
      let answered: Awaited<ReturnType<typeof WebCall.answer>>;
      try {
        answered = await WebCall.answer(
          { ...offer, conversation: withOpenedSecrets(offer.conversation, this.secrets, this.logger) },
          { session: this.sessionDeps, bus: this.bus, logger: this.logger.child({ call_id: offer.call_id }), ice: { host: this.config.MEDIA_WEBRTC_HOST, ports: this.config.MEDIA_WEBRTC_PORTS, publicAddress: this.config.MEDIA_WEBRTC_PUBLIC_ADDRESS || undefined } },
        );
      } catch (err) {
        this.settle(offer.call_id);
        throw err;
      }
      const { call, sdp } = answered;
      if (!this.settle(offer.call_id)) {
        await call.session.release(PLACEMENT_WITHDRAWN);
        return { ok: false, error: 'withdrawn: the call went to another media process' };
      }
      this.track(call.session);
      this.logger.info({ call_id: offer.call_id, codec: call.session.codec }, 'web call answered');
      return { ok: true, sdp, media_id: this.config.MEDIA_ID };
    } catch (err) {
      this.logger.warn({ err, call_id: offer.call_id }, 'web call offer refused');
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private get sessionDeps(): CallSessionDeps {
    return { config: this.config, providers: this.providers, bus: this.bus, logger: this.logger, metrics: this.metrics, legs: this.legs, toolFetch: this.toolFetch, answerFetch: this.answerFetch, recordings: this.recordings };
  }

  /** Admits a call (counted as opening from now on), or the refusal to answer with. */
  private admit(callId: string): { ok: false; error: string } | undefined {
    const refusal: Refusal | undefined = this.admission.admit(callId);
    if (refusal) {
      this.metrics.refusals.inc({ reason: refusal.reason });
      return { ok: false, error: refusal.error };
    }
    this.advertiser.changed();
    return undefined;
  }

  /** Its session opened, or failed to: false if the call was withdrawn meanwhile. */
  private settle(callId: string): boolean {
    const wanted = this.admission.settle(callId);
    this.advertiser.changed();
    return wanted;
  }

  /**
   * Its placer stopped waiting for this process and placed the call elsewhere: a session still opening is let go once
   * open, one opened but never attached is let go now (without events: the call lives on elsewhere).
   */
  private withdraw(callId: string): void {
    if (this.admission.withdraw(callId)) return;
    const session = this.sessions.get(callId);
    if (!session || session.isAttached) return;
    this.logger.info({ call_id: callId }, 'call withdrawn by its placer; letting it go');
    void session.release(PLACEMENT_WITHDRAWN);
  }

  private track(session: CallSession): void {
    this.sessions.set(session.callId, session);
    this.metrics.sessionsTotal.inc({ codec: session.codec });
    this.metrics.sessionsActive.set(this.sessions.size);
    void session.whenFinished().then(() => {
      this.sessions.delete(session.callId);
      this.metrics.sessionsActive.set(this.sessions.size);
      this.advertiser.changed();
    });
  }

  private async release(session: CallSession, reason: string): Promise<void> {
    await session.release(reason);
  }

  /**
   * Shutdown: stop taking calls, let live ones finish for up to SHUTDOWN_TIMEOUT_MS, then end the
   * rest; every session that ran still publishes its recording and conversation_ended.
   */
  async onModuleDestroy(): Promise<void> {
    this.admission.stop();
    for (const sub of this.intake.splice(0)) sub.unsubscribe();
    // Placers stop asking this process now rather than at its next advert.
    this.advertiser.publishNow();
    const live = [...this.sessions.values()];
    if (live.length > 0) {
      this.logger.info({ sessions: live.length, timeout_ms: this.config.SHUTDOWN_TIMEOUT_MS }, 'waiting for live calls to finish');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(live.map((s) => s.whenFinished())), new Promise((r) => (timer = setTimeout(r, this.config.SHUTDOWN_TIMEOUT_MS)))]);
      clearTimeout(timer);
      await Promise.all([...this.sessions.values()].map((s) => s.release('media_shutdown')));
    }
    this.advertiser.stop();
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    this.legs.close();
    await this.recordings.drain(this.config.RECORDINGS_UPLOAD_SHUTDOWN_MS);
    this.recordingStore.close();
    await this.providers.close();
  }
}
