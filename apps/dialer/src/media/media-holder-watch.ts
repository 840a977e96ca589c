import { ErrorCodes, MediaAck, MediaStatusRequest } from '@parley/common';
import type { Bus, Logger, MediaLoads } from '@parley/service-kit';
import type { Counter } from 'prom-client';
import type { LiveCall } from '../calls/live-call';
import type { LiveCalls } from '../calls/live-calls';

/** A media process's time to say it still holds a call: the answer is a map lookup, so this is network and event-loop slack. */
const STATUS_TIMEOUT_MS = 1000;

/** Asks the media process holding a call whether it still does, and whether this dialer's own NATS link works. */
export interface HolderProbe {
  /** True when the holder answered `media.session.<call id>.status` (only the process holding the session answers). */
  answers(callId: string): Promise<boolean>;
  /** A round trip to the NATS server: without it, a silent holder may only be our own link being down. */
  linkUp(): Promise<boolean>;
}

export class NatsHolderProbe implements HolderProbe {
  constructor(private readonly bus: Bus) {}

  answers(callId: string): Promise<boolean> {
    return this.bus
      .request(this.bus.subjects.mediaSession(callId, 'status'), MediaStatusRequest, { call_id: callId }, MediaAck, STATUS_TIMEOUT_MS)
      .then((r) => r.ok)
      .catch(() => false);
  }

  linkUp(): Promise<boolean> {
    return this.bus.connection.flush().then(
      () => true,
      () => false,
    );
  }
}

/**
 * Ends the answered calls whose media process died: without it the phone stays bridged to an RTP endpoint nobody
 * reads (dead air) until max duration. A holder is taken for dead only when two independent signals agree: its load
 * adverts stopped (forgotten by the placer after three missed intervals) or come from a new start of a process under
 * the same id (a restart keeps no session), and it does not answer a status request
 * for the call, sent after that, while this dialer's own link to NATS works. Such a call is hung up `completed`
 * (it was answered), `hangup_by` system, `error_code` media_lost, billed to the hang-up like any call. It is not
 * moved to another media process: see the README, "Losing a media process mid-call".
 */
export class MediaHolderWatch {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      liveCalls: Pick<LiveCalls, 'list' | 'hangup'>;
      loads: Pick<MediaLoads, 'heardFrom'>;
      probe: HolderProbe;
      /** Calls ended because their media process was lost. */
      lost: Pick<Counter<string>, 'inc'>;
      intervalMs: number;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass (never two at once); resolves when the calls found lost have been asked to hang up. */
  tick(): Promise<void> {
    this.ticking ??= this.run()
      .catch((err: Error) => this.deps.logger.warn({ err }, 'media holder check failed'))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async run(): Promise<void> {
    const { liveCalls, loads, probe, logger } = this.deps;
    // Adverts late: the first signal, from the placer's view (no request sent for calls whose holder advertises).
    const suspects = liveCalls.list().flatMap((call) => {
      const holder = call.media?.holder;
      if (!holder || call.machine.isEnded || call.machine.hangupRequested || !call.machine.answered || loads.heardFrom(holder, call.media?.holderStartedAt)) return [];
      return [{ call, holder }];
    });
    if (suspects.length === 0) return;
    // No answer to a status request: the second. Both are about the same process, so a NATS hiccup of a moment
    // would have to last through three adverts and this request, with our own link up just after.
    const answered = await Promise.all(suspects.map((s) => probe.answers(s.call.callId)));
    const lost = suspects.filter((_, i) => !answered[i]);
    if (lost.length === 0) return;
    if (!(await probe.linkUp())) {
      logger.warn({ calls: lost.length }, 'media holders silent, but our own NATS link is down: not ending their calls');
      return;
    }
    await Promise.all(lost.map(({ call, holder }) => this.end(call, holder)));
  }

  private async end(call: LiveCall, holder: string): Promise<void> {
    const { liveCalls, lost, logger } = this.deps;
    // Its state may have moved while we asked.
    if (call.machine.isEnded || call.machine.hangupRequested) return;
    logger.warn({ call_id: call.callId, media_id: holder }, 'the media process holding the call is gone; hanging up');
    lost.inc();
    call.media?.markHolderLost();
    await liveCalls
      .hangup(call, {
        by: 'system',
        outcome: {
          status: call.machine.answered ? 'completed' : 'failed',
          errorCode: ErrorCodes.mediaLost,
          errorMessage: `The media process holding the call (${holder}) stopped: no load advert for three intervals and no answer to a status request`,
        },
      })
      .catch((err: Error) => logger.error({ err, call_id: call.callId }, 'hang-up after the media process was lost failed'));
  }
}
