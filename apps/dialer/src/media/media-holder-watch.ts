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
export class MediaHolderWatch {
  private readonly periodic: PeriodicCheck;

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
    const held = liveCalls.list().flatMap((call) => {
      const holder = call.media?.holder;
      if (!holder || call.machine.isEnded || call.machine.hangupRequested || !call.machine.answered) return [];
      return [{ callId: call.callId, holder, holderStartedAt: call.media?.holderStartedAt, call }];
    });
    const lost = await lostHolders(held, loads, probe, logger);
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
