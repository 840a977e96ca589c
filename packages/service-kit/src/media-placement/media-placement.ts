import { MediaAllocateReply, MediaAllocateRequest, MediaCancel, MediaLoad, MediaWebRtcAnswer, MediaWebRtcOffer } from '@parley/common';
import { ErrorCode, NatsError, type Subscription } from 'nats';
import { Gauge } from 'prom-client';
import type { z } from 'zod';
import type { Bus } from '../bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { MediaLoads } from './media-loads';

type Verb = 'allocate' | 'webrtc_offer';
type Reply = { ok: true } | { ok: false; error: string };

/**
 * Places calls on media processes by load. Every media process advertises its load on `media.load`; a call is offered
 * to the least loaded first on its own subject (`media.<id>.allocate`, `media.<id>.webrtc_offer`), and a refusal (full,
 * shutting down), a timeout or a process that is gone moves on to the next. Only when every one refused does the call
 * fail. With no advert at all (media processes older than this, or the first second after a start) the request goes
 * to the queue group as before, where any media process may take it.
 */
export class MediaPlacement {
  readonly loads: MediaLoads;
  private subscription: Subscription | undefined;
  private readonly counters: ReturnType<typeof placementMetrics> | undefined;

  constructor(private readonly deps: { bus: Bus; logger: Logger; metrics?: Metrics; loads?: MediaLoads }) {
    this.loads = deps.loads ?? new MediaLoads();
    this.counters = deps.metrics && placementMetrics(deps.metrics, this.loads);
  }

  /** Starts listening to the adverts. */
  start(): void {
    this.subscription ??= this.deps.bus.subscribe(this.deps.bus.subjects.mediaLoad, MediaLoad, (advert) => this.loads.heard(advert));
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  /** An RTP endpoint for a phone call; `timeoutMs` is each media process's to answer. */
  allocate(req: MediaAllocateRequest, timeoutMs: number): Promise<MediaAllocateReply> {
    const s = this.deps.bus.subjects;
    return this.place('allocate', s.mediaAllocate, MediaAllocateRequest, req, MediaAllocateReply, timeoutMs, (reply, mediaId) => (reply.ok ? { ...reply, media_id: reply.media_id ?? mediaId } : reply));
  }

  /** A media process's answer to a browser's offer. */
  offerWebCall(offer: MediaWebRtcOffer, timeoutMs: number): Promise<MediaWebRtcAnswer> {
    return this.place('webrtc_offer', this.deps.bus.subjects.mediaWebRtcOffer, MediaWebRtcOffer, offer, MediaWebRtcAnswer, timeoutMs, (reply, mediaId) => (reply.ok ? { ...reply, media_id: reply.media_id ?? mediaId } : reply));
  }

  private async place<Req extends { call_id: string }, Rep extends Reply>(
    verb: Verb,
    queueSubject: string,
    reqSchema: z.ZodType<Req>,
    req: Req,
    repSchema: z.ZodType<Rep>,
    timeoutMs: number,
    named: (reply: Rep, mediaId: string) => Rep,
  ): Promise<Rep> {
    const { bus, logger } = this.deps;
    const candidates = this.loads.candidates();
    if (candidates.length === 0) {
      this.counters?.fallbacks.inc();
      try {
        const reply = await bus.request(queueSubject, reqSchema, req, repSchema, timeoutMs);
        if (!reply.ok) this.counters?.failures.inc();
        else this.counters?.placed.inc({ media_id: (reply as { media_id?: string }).media_id ?? 'queue_group' });
        return reply;
      } catch (err) {
        this.counters?.failures.inc();
        return { ok: false, error: `no media process answered (${(err as Error).message})` } as Rep;
      }
    }
    const refusals: string[] = [];
    for (const mediaId of candidates) {
      this.loads.asked(mediaId);
      try {
        const reply = await bus.request(bus.subjects.mediaProcess(mediaId, verb), reqSchema, req, repSchema, timeoutMs);
        if (reply.ok) {
          this.loads.answered(mediaId, 'placed');
          this.counters?.placed.inc({ media_id: mediaId });
          return named(reply, mediaId);
        }
        this.loads.answered(mediaId, 'refused');
        this.refused(mediaId, 'refused', `${mediaId}: ${reply.error}`, refusals);
      } catch (err) {
        const code = err instanceof NatsError ? err.code : undefined;
        if (code === ErrorCode.NoResponders) {
          // Nobody listens on its subject: it stopped (its last advert may be up to three intervals old).
          this.loads.forget(mediaId);
          this.refused(mediaId, 'gone', `${mediaId}: gone`, refusals);
          continue;
        }
        this.loads.answered(mediaId, 'failed');
        if (code === ErrorCode.Timeout) {
          // It may still take the call after we moved on: told to let it go, it does so before any attach can reach it.
          bus.publish(bus.subjects.mediaProcess(mediaId, 'cancel'), MediaCancel, { call_id: req.call_id });
          this.refused(mediaId, 'timeout', `${mediaId}: no answer in ${timeoutMs} ms`, refusals);
        } else {
          this.refused(mediaId, 'error', `${mediaId}: ${(err as Error).message}`, refusals);
        }
      }
    }
    this.counters?.failures.inc();
    logger.warn({ call_id: req.call_id, refusals }, 'no media process took the call');
    return { ok: false, error: `every media process refused the call (${refusals.join('; ')})` } as Rep;
  }

  private refused(mediaId: string, reason: 'refused' | 'gone' | 'timeout' | 'error', detail: string, refusals: string[]): void {
    refusals.push(detail);
    this.counters?.refusals.inc({ media_id: mediaId, reason });
    this.deps.logger.info({ media_id: mediaId, reason, detail }, 'media process did not take the call; trying the next');
  }
}

/** The placer's series, in the /metrics of whichever service places (dialer: phone calls, api: web calls). */
function placementMetrics(metrics: Metrics, loads: MediaLoads) {
  new Gauge({
    name: 'parley_media_placement_processes',
    help: 'Media processes this placer heard from lately that take calls',
    registers: [metrics.registry],
    collect() {
      this.set(loads.accepting);
    },
  });
  return {
    placed: metrics.counter('parley_media_placement_allocations_total', 'Calls placed, by the media process that took them (queue_group: an older media process through the queue group)', ['media_id']),
    refusals: metrics.counter('parley_media_placement_refusals_total', 'Media processes that did not take a call offered to them, by process and reason (refused: full or shutting down; timeout; gone; error), before the next was asked', [
      'media_id',
      'reason',
    ]),
    fallbacks: metrics.counter('parley_media_placement_fallbacks_total', 'Calls sent to the media queue group because no media process advertised its load'),
    failures: metrics.counter('parley_media_placement_failures_total', 'Calls no media process took (they fail with media_unavailable, or web_call_unavailable)'),
  };
}
