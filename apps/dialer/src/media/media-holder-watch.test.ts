import type { Logger } from '@parley/service-kit';
import { describe, expect, it } from 'vitest';
import { CallStateMachine, type OwnHangup } from '../calls/call-state-machine';
import type { LiveCall } from '../calls/live-call';
import { type HolderProbe, MediaHolderWatch } from './media-holder-watch';

const quiet = { warn() {}, error() {}, info() {} } as unknown as Logger;

/** An answered call whose audio is held by `holder` (a fake leg: what the watch reads of it). */
function answeredCall(callId: string, holder: string | undefined, holderStartedAt = 'start-1'): LiveCall {
  const machine = new CallStateMachine(callId);
  machine.adopt('Up', true);
  const media = { holder, holderStartedAt, lost: false, markHolderLost() { this.lost = true; } };
  return { callId, machine, media } as unknown as LiveCall;
}

/** `advertising`: media ids heard from lately, each from its start `start-1` unless given as `id@start`. */
function world(opts: { calls: LiveCall[]; advertising: string[]; answering: string[]; linkUp?: boolean }) {
  const hangups: { callId: string; own: OwnHangup }[] = [];
  const asked: string[] = [];
  let lost = 0;
  const probe: HolderProbe = {
    answers: async (callId) => (asked.push(callId), opts.answering.includes(callId)),
    linkUp: async () => opts.linkUp ?? true,
  };
  const watch = new MediaHolderWatch({
    liveCalls: {
      list: () => opts.calls,
      hangup: async (call, own) => {
        call.machine.requestHangup(own);
        hangups.push({ callId: call.callId, own });
      },
    },
    loads: { heardFrom: (id: string, startedAt?: string) => opts.advertising.some((a) => (a.includes('@') ? a : `${a}@start-1`) === `${id}@${startedAt ?? 'start-1'}`) },
    probe,
    lost: { inc: () => void lost++ },
    intervalMs: 1000,
    logger: quiet,
  });
  return { watch, hangups, asked, lost: () => lost };
}

describe('MediaHolderWatch: a call ends for a lost media process only when both signals agree', () => {
  it('ends the calls of a holder that stopped advertising and does not answer: completed, system, media_lost', async () => {
    const calls = [answeredCall('c1', 'media-b'), answeredCall('c2', 'media-a')];
    const w = world({ calls, advertising: ['media-a'], answering: ['c2'] });
    await w.watch.tick();
    expect(w.asked).toEqual(['c1']);
    expect(w.hangups).toEqual([
      { callId: 'c1', own: { by: 'system', outcome: { status: 'completed', errorCode: 'media_lost', errorMessage: expect.stringMatching(/media-b\) stopped/) } } },
    ]);
    expect(w.lost()).toBe(1);
    expect((calls[0]!.media as unknown as { lost: boolean }).lost).toBe(true);
    // Hang-up requested: not asked about again.
    await w.watch.tick();
    expect(w.asked).toEqual(['c1']);
    expect(w.lost()).toBe(1);
  });

  it('leaves a call whose holder answers the status request, even with its adverts late', async () => {
    const w = world({ calls: [answeredCall('c1', 'media-b')], advertising: [], answering: ['c1'] });
    await w.watch.tick();
    expect(w.asked).toEqual(['c1']);
    expect(w.hangups).toEqual([]);
  });

  it('ends the calls of a holder that restarted under the same id (its adverts come from another start)', async () => {
    const w = world({ calls: [answeredCall('c1', 'media-b')], advertising: ['media-b@start-2'], answering: [] });
    await w.watch.tick();
    expect(w.asked).toEqual(['c1']);
    expect(w.hangups.map((h) => h.own.outcome?.errorCode)).toEqual(['media_lost']);
  });

  it('does not even ask while the holder advertises', async () => {
    const w = world({ calls: [answeredCall('c1', 'media-b')], advertising: ['media-b'], answering: [] });
    await w.watch.tick();
    expect(w.asked).toEqual([]);
    expect(w.hangups).toEqual([]);
  });

  it('ends nothing while its own NATS link is down (the silence may be ours)', async () => {
    const w = world({ calls: [answeredCall('c1', 'media-b')], advertising: [], answering: [], linkUp: false });
    await w.watch.tick();
    expect(w.hangups).toEqual([]);
    expect(w.lost()).toBe(0);
  });

  it('skips calls with no known holder (adopted after a restart, older media processes) and calls already ending', async () => {
    const ending = answeredCall('c2', 'media-b');
    ending.machine.requestHangup({ by: 'api' });
    const w = world({ calls: [answeredCall('c1', undefined), ending], advertising: [], answering: [] });
    await w.watch.tick();
    expect(w.asked).toEqual([]);
    expect(w.hangups).toEqual([]);
  });
});
