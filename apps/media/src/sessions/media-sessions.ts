import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'nats';
import type { z } from 'zod';
import { MediaAck, MediaAllocateReply, MediaAllocateRequest, MediaAttachRequest, MediaReleaseRequest, MediaStatusRequest, MediaWebRtcAnswer, MediaWebRtcOffer } from '@parley/common';
import { SecretBox } from '@parley/db';
import { Bus, createGuardedFetch, LOGGER, type Logger, outboundPolicy, Readiness } from '@parley/service-kit';
import { MEDIA_CONFIG, type MediaConfig } from '../config';
import { MediaMetrics } from '../metrics/media-metrics';
import type { Providers } from '../providers/registry';
import { RtpLegs } from '../rtp/rtp-legs';
import { withOpenedSecrets } from './snapshot-secrets';
import { CallSession, type CallSessionDeps } from './call-session';
import { WebCall } from '../webrtc/web-call';

export const PROVIDERS = Symbol('PROVIDERS');

/**
 * The media service's side of the call protocol over NATS: `media.allocate` (queue group, any
 * media process may take a call) hands out an RTP endpoint for a call, whose conversation snapshot
 * comes with the request; `attach` starts the conversation and `release` ends it, answered only by
 * the process that holds the session.
 */
@Injectable()
export class MediaSessions implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly sessions = new Map<string, CallSession>();
  /** Every call's RTP leg, on the native engine's thread (or the event loop's FrameClock). */
  private readonly legs: RtpLegs;
  private readonly subscriptions: Subscription[] = [];
  private accepting = true;
  private readonly toolFetch: typeof fetch;
  private readonly answerFetch: typeof fetch;
  private readonly secrets: SecretBox;

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
    readiness.register('accepting_calls', () => this.accepting);
    // A tool's answer is cut to a few KB for the model anyway; more is not read.
    this.toolFetch = createGuardedFetch(outboundPolicy(config), { maxResponseBytes: 64 * 1024 });
    // A conversation webhook's answer is spoken as it streams in.
    this.answerFetch = createGuardedFetch(outboundPolicy(config), { maxResponseBytes: 1024 * 1024, stream: true });
    this.secrets = new SecretBox(config.PARLEY_SECRET_KEY, config.PARLEY_SECRET_KEY_PREVIOUS);
  }

  get active(): number {
    return this.sessions.size;
  }

  onApplicationBootstrap(): void {
    const s = this.bus.subjects;
    this.subscriptions.push(this.bus.serve(s.mediaAllocate, MediaAllocateRequest, MediaAllocateReply, (req) => this.allocate(req), 'media'));
    this.subscriptions.push(this.bus.serve(s.mediaWebRtcOffer, MediaWebRtcOffer, MediaWebRtcAnswer, (req) => this.answerWebCall(req), 'media'));
    this.subscriptions.push(
      this.bus.serve(s.allMediaSessionCommands, MediaAttachRequest.or(MediaReleaseRequest).or(MediaStatusRequest), MediaAck, async (req, msg) => {
        const session = this.sessions.get(req.call_id);
        // Another media process holds this call: let it answer.
        if (!session) return undefined;
        if (msg.subject.endsWith('.status')) return { ok: true };
        if (msg.subject.endsWith('.attach')) {
          await session.attach('rtp_remote' in req ? req.rtp_remote : undefined);
          return { ok: true };
        }
        await this.release(session, 'reason' in req ? req.reason : 'released');
        return { ok: true };
      }),
    );
  }

  async allocate({ call_id: callId, codec, conversation }: MediaAllocateRequest): Promise<z.infer<typeof MediaAllocateReply>> {
    if (!this.accepting) return { ok: false, error: 'media service is shutting down' };
    const existing = this.sessions.get(callId);
    if (existing) return { ok: true, host: this.config.MEDIA_RTP_HOST, port: existing.port, session_id: callId };
    if (this.sessions.size >= this.config.MEDIA_MAX_SESSIONS) return { ok: false, error: `media service is full (${this.config.MEDIA_MAX_SESSIONS} sessions)` };
    const session = await CallSession.open(callId, codec, withOpenedSecrets(conversation, this.secrets, this.logger), this.sessionDeps);
    this.track(session);
    this.logger.info({ call_id: callId, codec, port: session.port }, 'rtp endpoint allocated');
    return { ok: true, host: this.config.MEDIA_RTP_HOST, port: session.port, session_id: callId };
  }

  /** A browser's offer for a web call: the answer, and a session that starts when its media connects. */
  async answerWebCall(offer: MediaWebRtcOffer): Promise<MediaWebRtcAnswer> {
    if (!this.accepting) return { ok: false, error: 'media service is shutting down' };
    if (this.sessions.has(offer.call_id)) return { ok: false, error: 'this web call is connected already' };
    if (this.sessions.size >= this.config.MEDIA_MAX_SESSIONS) return { ok: false, error: `media service is full (${this.config.MEDIA_MAX_SESSIONS} sessions)` };
    try {
      const { call, sdp } = await WebCall.answer(
        { ...offer, conversation: withOpenedSecrets(offer.conversation, this.secrets, this.logger) },
        { session: this.sessionDeps, bus: this.bus, logger: this.logger.child({ call_id: offer.call_id }), ice: { host: this.config.MEDIA_WEBRTC_HOST, ports: this.config.MEDIA_WEBRTC_PORTS, publicAddress: this.config.MEDIA_WEBRTC_PUBLIC_ADDRESS || undefined } },
      );
      this.track(call.session);
      this.logger.info({ call_id: offer.call_id, codec: call.session.codec }, 'web call answered');
      return { ok: true, sdp };
    } catch (err) {
      this.logger.warn({ err, call_id: offer.call_id }, 'web call offer refused');
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private get sessionDeps(): CallSessionDeps {
    return { config: this.config, providers: this.providers, bus: this.bus, logger: this.logger, metrics: this.metrics, legs: this.legs, toolFetch: this.toolFetch, answerFetch: this.answerFetch };
  }

  private track(session: CallSession): void {
    this.sessions.set(session.callId, session);
    this.metrics.sessionsTotal.inc({ codec: session.codec });
    this.metrics.sessionsActive.set(this.sessions.size);
    void session.whenFinished().then(() => {
      this.sessions.delete(session.callId);
      this.metrics.sessionsActive.set(this.sessions.size);
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
    this.accepting = false;
    for (const sub of this.subscriptions.splice(0, 2)) sub.unsubscribe();
    const live = [...this.sessions.values()];
    if (live.length > 0) {
      this.logger.info({ sessions: live.length, timeout_ms: this.config.SHUTDOWN_TIMEOUT_MS }, 'waiting for live calls to finish');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(live.map((s) => s.whenFinished())), new Promise((r) => (timer = setTimeout(r, this.config.SHUTDOWN_TIMEOUT_MS)))]);
      clearTimeout(timer);
      await Promise.all([...this.sessions.values()].map((s) => s.release('media_shutdown')));
    }
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    this.legs.close();
    await this.providers.close();
  }
}
