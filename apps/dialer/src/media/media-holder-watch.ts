import { ErrorCodes } from '@parley/common';
import { type HolderProbe, type Logger, lostHolders, type MediaLoads, PeriodicCheck } from '@parley/service-kit';
import type { Counter } from 'prom-client';
import type { LiveCall } from '../calls/live-call';
import type { LiveCalls } from '../calls/live-calls';

export { type HolderProbe, NatsHolderProbe } from '@parley/service-kit';

/**
 * Ends the answered calls whose media process died: without it the phone stays bridged to an RTP endpoint nobody
 * reads (dead air) until max duration. A holder is taken for dead when two independent signals agree (`lostHolders`:
 * its adverts stopped or come from a new start, and it does not answer a status request for the call). Such a call is
 * hung up `completed` (it was answered), `hangup_by` system, `error_code` media_lost, billed to the hang-up like any call. It is not
 * moved to another media process: see the README, "Losing a media process mid-call".
 */
/** Checks in a row at which no process answers for an adopted call (holder unknown) before it is taken for lost. */
const UNKNOWN_HOLDER_MISSES = 3;

export class MediaHolderWatch {
  private readonly periodic: PeriodicCheck;
  /** Adopted calls whose holder is unknown: checks in a row at which none answered. */
  private readonly unknownMisses = new Map<string, number>();

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
  ) {
    this.periodic = new PeriodicCheck({ what: 'media holder check', intervalMs: deps.intervalMs, logger: deps.logger }, () => this.run());
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    void this.periodic.stop();
  }

  /** One pass (never two at once); resolves when the calls found lost have been asked to hang up. */
  tick(): Promise<void> {
    return this.periodic.tick();
  }

  private async run(): Promise<void> {
    const { liveCalls, loads, probe, logger } = this.deps;
    const answered = liveCalls.list().filter((call) => call.media && !call.machine.isEnded && !call.machine.hangupRequested && call.machine.answered);
    // Only adopted legs: a leg this dialer is still setting up has no holder until its attach (an allocation may take
    // seconds when a media process times out and the next is asked), and its set-up ends it if it fails.
    await this.learnHolders(answered.filter((call) => call.media!.adopted && !call.media!.holder));
    const held = answered.flatMap((call) => (call.media!.holder ? [{ callId: call.callId, holder: call.media!.holder, holderStartedAt: call.media!.holderStartedAt, call }] : []));
    const lost = await lostHolders(held, loads, probe, logger);
    await Promise.all(lost.map(({ call, holder }) => this.end(call, holder)));
  }

  /**
   * Calls adopted from a dialer that died: their attach was that dialer's, so the holder is asked which process it is.
   * One that does not answer at `UNKNOWN_HOLDER_MISSES` checks in a row (with our own link up) is lost: no process
   * holds its session any more (it died before or with the dialer).
   */
  private async learnHolders(calls: LiveCall[]): Promise<void> {
    const { probe, logger } = this.deps;
    const listed = new Set(calls.map((c) => c.callId));
    for (const id of this.unknownMisses.keys()) if (!listed.has(id)) this.unknownMisses.delete(id);
    const holders = await Promise.all(calls.map((call) => probe.holderOf(call.callId)));
    const silent: LiveCall[] = [];
    for (const [i, call] of calls.entries()) {
      const h = holders[i];
      if (h) {
        this.unknownMisses.delete(call.callId);
        if (h.mediaId) call.media!.learnHolder(h.mediaId, h.startedAt);
        continue;
      }
      const misses = (this.unknownMisses.get(call.callId) ?? 0) + 1;
      this.unknownMisses.set(call.callId, misses);
      if (misses >= UNKNOWN_HOLDER_MISSES) silent.push(call);
    }
    if (silent.length === 0) return;
    if (!(await probe.linkUp())) {
      logger.warn({ calls: silent.length }, 'adopted calls\' media silent, but our own NATS link is down: not ending them');
      return;
    }
    for (const call of silent) this.unknownMisses.delete(call.callId);
    await Promise.all(silent.map((call) => this.end(call, 'unknown', `no media process answered for the call at ${UNKNOWN_HOLDER_MISSES} checks in a row`)));
  }

  private async end(call: LiveCall, holder: string, why = 'no load advert for three intervals and no answer to a status request'): Promise<void> {
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
          errorMessage: `The media process holding the call (${holder}) stopped: ${why}`,
        },
      })
      .catch((err: Error) => logger.error({ err, call_id: call.callId }, 'hang-up after the media process was lost failed'));
  }
}
