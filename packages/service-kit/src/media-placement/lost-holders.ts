import { MediaStatusReply, MediaStatusRequest } from '@parley/common';
import type { Bus } from '../bus';
import type { Logger } from '../logger';
import type { MediaLoads } from './media-loads';

/** A media process's time to say it still holds a call: the answer is a map lookup, so this is network and event-loop slack. */
const STATUS_TIMEOUT_MS = 1000;

/** Asks the media process holding a call whether it still does, and whether our own NATS link works. */
export interface HolderProbe {
  /** True when the holder answered `media.session.<call id>.status` (only the process holding the session answers). */
  answers(callId: string): Promise<boolean>;
  /** Which process holds the call, as it says (null when none answers; `mediaId` undefined from older media processes). */
  holderOf(callId: string): Promise<{ mediaId?: string; startedAt?: string } | null>;
  /** A round trip to the NATS server: without it, a silent holder may only be our own link being down. */
  linkUp(): Promise<boolean>;
}

export class NatsHolderProbe implements HolderProbe {
  constructor(private readonly bus: Bus) {}

  answers(callId: string): Promise<boolean> {
    return this.holderOf(callId).then((h) => h !== null);
  }

  holderOf(callId: string): Promise<{ mediaId?: string; startedAt?: string } | null> {
    return this.bus
      .request(this.bus.subjects.mediaSession(callId, 'status'), MediaStatusRequest, { call_id: callId }, MediaStatusReply, STATUS_TIMEOUT_MS)
      .then((r) => (r.ok ? { mediaId: r.media_id, startedAt: r.started_at } : null))
      .catch(() => null);
  }

  linkUp(): Promise<boolean> {
    return this.bus.connection.flush().then(
      () => true,
      () => false,
    );
  }
}

/** A call and the media process holding it (as its placer recorded it), with that process's start. */
export interface HeldCall {
  callId: string;
  holder: string;
  holderStartedAt?: string;
}

/**
 * The calls whose media process died, taken for dead only when two independent signals agree: its load adverts
 * stopped (forgotten after three missed intervals) or come from a new start under the same id (a restart keeps no
 * session), and it does not answer a status request for the call, sent after that, while our own link to NATS works
 * (else none is lost: the silence may be ours). Used by the dialer for phone calls and by the api for web calls.
 */
export async function lostHolders<T extends HeldCall>(calls: T[], loads: Pick<MediaLoads, 'heardFrom'>, probe: HolderProbe, logger: Logger): Promise<T[]> {
  // Adverts late: the first signal, from the placer's view (no request sent for calls whose holder advertises).
  const suspects = calls.filter((c) => !loads.heardFrom(c.holder, c.holderStartedAt));
  if (suspects.length === 0) return [];
  // No answer to a status request: the second. Both are about the same process, so a NATS hiccup of a moment
  // would have to last through three adverts and this request, with our own link up just after.
  const answered = await Promise.all(suspects.map((c) => probe.answers(c.callId)));
  const lost = suspects.filter((_, i) => !answered[i]);
  if (lost.length === 0) return [];
  if (!(await probe.linkUp())) {
    logger.warn({ calls: lost.length }, 'media holders silent, but our own NATS link is down: not ending their calls');
    return [];
  }
  return lost;
}
