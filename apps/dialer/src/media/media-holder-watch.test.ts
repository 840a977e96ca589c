import type { Logger } from '@parley/service-kit';
import { describe, expect, it } from 'vitest';
import { CallStateMachine, type OwnHangup } from '../calls/call-state-machine';
import type { LiveCall } from '../calls/live-call';
import { type HolderProbe, MediaHolderWatch } from './media-holder-watch';

const quiet = { warn() {}, error() {}, info() {} } as unknown as Logger;

/** An answered call whose audio is held by `holder` (a fake leg: what the watch reads of it). */
/** `holder` undefined: a leg found by this dialer after another one died (adopted), whose holder it has to ask. */
function answeredCall(callId: string, holder: string | undefined, holderStartedAt = 'start-1', adopted = holder === undefined): LiveCall {
  const machine = new CallStateMachine(callId);
  machine.adopt('Up', true);
  const media = {
    holder,
    holderStartedAt,
    adopted,
    lost: false,
    markHolderLost() {
      this.lost = true;
    },
    learnHolder(id: string, startedAt?: string) {
      this.holder ??= id;
      this.holderStartedAt = startedAt ?? 'start-1';
    },
  };
  return { callId, machine, media } as unknown as LiveCall;
}

/** `advertising`: media ids heard from lately, each from its start `start-1` unless given as `id@start`. */
/** `answering`: calls whose holder answers a status request, naming itself as `holders[call]` (if given). */
function world(opts: { calls: LiveCall[]; advertising: string[]; answering: string[]; holders?: Record<string, string>; linkUp?: boolean }) {
  const hangups: { callId: string; own: OwnHangup }[] = [];
  const asked: string[] = [];
  let lost = 0;
  const probe: HolderProbe = {
    answers: async (callId) => (asked.push(callId), opts.answering.includes(callId)),
    holderOf: async (callId) => (asked.push(callId), opts.answering.includes(callId) ? { mediaId: opts.holders?.[callId], startedAt: 'start-1' } : null),
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

  it('skips calls already ending', async () => {
    const ending = answeredCall('c2', 'media-b');
    ending.machine.requestHangup({ by: 'api' });
    const w = world({ calls: [ending], advertising: [], answering: [] });
    await w.watch.tick();
    expect(w.asked).toEqual([]);
    expect(w.hangups).toEqual([]);
  });

  it('asks an adopted call (holder unknown) which process holds it, and watches that process from then on', async () => {
    const adopted = answeredCall('c1', undefined);
    const w = world({ calls: [adopted], advertising: ['media-b'], answering: ['c1'], holders: { c1: 'media-b' } });
    await w.watch.tick();
    expect(adopted.media!.holder).toBe('media-b');
    expect(w.asked).toEqual(['c1']);
    // Known now, and advertising: not asked again.
    await w.watch.tick();
    expect(w.asked).toEqual(['c1']);
    expect(w.hangups).toEqual([]);
  });

  it('leaves an adopted call held by an older media process (it answers without naming itself)', async () => {
    const w = world({ calls: [answeredCall('c1', undefined)], advertising: [], answering: ['c1'] });
    for (let i = 0; i < 5; i++) await w.watch.tick();
    expect(w.hangups).toEqual([]);
  });

  it('leaves a call it is still setting up (no holder until its attach) to its set-up, however long the allocation takes', async () => {
    const w = world({ calls: [answeredCall('c1', undefined, 'start-1', false)], advertising: [], answering: [] });
    for (let i = 0; i < 5; i++) await w.watch.tick();
    expect(w.asked).toEqual([]);
    expect(w.hangups).toEqual([]);
  });

  it('ends an adopted call nobody answers for at three checks in a row (its media process died too), not before', async () => {
    const w = world({ calls: [answeredCall('c1', undefined)], advertising: [], answering: [] });
    await w.watch.tick();
    await w.watch.tick();
    expect(w.hangups).toEqual([]);
    await w.watch.tick();
    expect(w.hangups.map((h) => [h.callId, h.own.outcome?.errorCode, h.own.outcome?.errorMessage])).toEqual([['c1', 'media_lost', expect.stringMatching(/no media process answered for the call at 3 checks in a row/)]]);
  });

  it('does not end an unanswered adopted call while its own link is down', async () => {
    const w = world({ calls: [answeredCall('c1', undefined)], advertising: [], answering: [], linkUp: false });
    for (let i = 0; i < 4; i++) await w.watch.tick();
    expect(w.hangups).toEqual([]);
  });
});
