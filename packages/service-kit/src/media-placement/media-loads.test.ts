import { describe, expect, it } from 'vitest';
import type { MediaLoad } from '@parley/common';
import { MediaLoads } from './media-loads';

const advert = (media_id: string, load: Partial<MediaLoad> = {}): MediaLoad => ({
  media_id,
  sessions: 0,
  capacity: 10,
  cpu: 0,
  rtp_late_frames: 0,
  accepting: true,
  interval_ms: 1000,
  at: new Date().toISOString(),
  ...load,
});

/** A table on a clock the test moves, with tie-breaks drawn from `draws` in turn. */
function table(draws: number[] = [0.5]) {
  let now = 0;
  let i = 0;
  const loads = new MediaLoads({ now: () => now, random: () => draws[i++ % draws.length]! });
  return { loads, advance: (ms: number) => (now += ms) };
}

describe('MediaLoads: the order media processes are asked in', () => {
  it('puts the smallest share of capacity first, whatever the absolute count', () => {
    const { loads } = table();
    loads.heard(advert('big', { sessions: 40, capacity: 100 }));
    loads.heard(advert('small', { sessions: 5, capacity: 10 }));
    loads.heard(advert('idle', { sessions: 0, capacity: 2 }));
    expect(loads.candidates()).toEqual(['idle', 'big', 'small']);
  });

  it('on an equal share, the one using less CPU, then the one with fewer late RTP frames', () => {
    const { loads } = table();
    loads.heard(advert('busy-cpu', { sessions: 2, cpu: 1.4 }));
    loads.heard(advert('late', { sessions: 2, cpu: 0.3, rtp_late_frames: 40 }));
    loads.heard(advert('best', { sessions: 2, cpu: 0.3 }));
    loads.heard(advert('emptier', { sessions: 1, cpu: 1.9, rtp_late_frames: 500 }));
    expect(loads.candidates()).toEqual(['emptier', 'best', 'late', 'busy-cpu']);
  });

  it('breaks ties at random, so two dialers with the same view do not all pick the same process', () => {
    // CPU within 0.1 core of each other counts as a tie: sampling noise must not decide.
    const { loads } = table([0.9, 0.1, 0.1, 0.9]);
    loads.heard(advert('a', { sessions: 3, cpu: 0.51 }));
    loads.heard(advert('b', { sessions: 3, cpu: 0.49 }));
    expect(loads.candidates()).toEqual(['b', 'a']);
    expect(loads.candidates()).toEqual(['a', 'b']);
  });

  it('leaves out a process that stopped accepting (shutting down), and puts full ones last', () => {
    const { loads } = table();
    loads.heard(advert('leaving', { accepting: false }));
    loads.heard(advert('full', { sessions: 10 }));
    loads.heard(advert('room', { sessions: 9 }));
    expect(loads.candidates()).toEqual(['room', 'full']);
    expect(loads.accepting).toBe(2);
  });

  it("counts its own calls in flight and placed until the process's next advert shows them", () => {
    const { loads } = table();
    loads.heard(advert('a', { sessions: 1, capacity: 4 }));
    loads.heard(advert('b', { sessions: 1, capacity: 4 }));
    loads.asked('a');
    expect(loads.candidates()[0]).toBe('b');
    loads.answered('a', 'placed');
    loads.asked('b');
    loads.answered('b', 'placed');
    loads.asked('b');
    // a: 1 + 1 placed; b: 1 + 1 placed + 1 in flight.
    expect(loads.candidates()).toEqual(['a', 'b']);
    // b's advert now counts the placed call (2), its request in flight still counts (3 of 4); a's stays behind (2).
    loads.heard(advert('b', { sessions: 2, capacity: 4 }));
    expect(loads.candidates()).toEqual(['a', 'b']);
    loads.heard(advert('a', { sessions: 4, capacity: 4 }));
    expect(loads.candidates()).toEqual(['b', 'a']);
  });

  it('puts a process that refused last until it advertises again', () => {
    const { loads } = table();
    loads.heard(advert('a', { sessions: 0 }));
    loads.heard(advert('b', { sessions: 8 }));
    loads.asked('a');
    loads.answered('a', 'refused');
    expect(loads.candidates()).toEqual(['b', 'a']);
    loads.heard(advert('a', { sessions: 0 }));
    expect(loads.candidates()).toEqual(['a', 'b']);
  });
});

describe('MediaLoads: forgetting', () => {
  it('forgets a process silent for three of its own intervals, and knows it again from its next advert', () => {
    const { loads, advance } = table();
    loads.heard(advert('fast', { interval_ms: 100 }));
    loads.heard(advert('slow', { interval_ms: 1000 }));
    advance(300);
    expect(loads.candidates().sort()).toEqual(['fast', 'slow']);
    advance(1);
    expect(loads.candidates()).toEqual(['slow']);
    advance(2700);
    expect(loads.candidates()).toEqual([]);
    expect(loads.accepting).toBe(0);
    loads.heard(advert('fast', { interval_ms: 100 }));
    expect(loads.candidates()).toEqual(['fast']);
  });

  it('each advert restarts the count', () => {
    const { loads, advance } = table();
    loads.heard(advert('a'));
    for (let i = 0; i < 5; i++) {
      advance(2900);
      loads.heard(advert('a'));
    }
    expect(loads.candidates()).toEqual(['a']);
  });

  it('forgets at once a process that is gone, and ignores answers about it afterwards', () => {
    const { loads } = table();
    loads.heard(advert('a'));
    loads.asked('a');
    loads.forget('a');
    loads.answered('a', 'failed');
    expect(loads.candidates()).toEqual([]);
  });

  it('heardFrom: true while a process advertises (accepting or not), false once it is forgotten', () => {
    const { loads, advance } = table();
    loads.heard(advert('leaving', { accepting: false }));
    expect(loads.heardFrom('leaving')).toBe(true);
    expect(loads.heardFrom('never')).toBe(false);
    advance(3001);
    expect(loads.heardFrom('leaving')).toBe(false);
  });

  it('heardFrom with a start: false once the adverts under that id come from a restarted process', () => {
    const { loads } = table();
    loads.heard(advert('a', { started_at: '2026-12-04T10:00:00.000Z' }));
    expect(loads.startedAt('a')).toBe('2026-12-04T10:00:00.000Z');
    expect(loads.heardFrom('a', '2026-12-04T10:00:00.000Z')).toBe(true);
    loads.heard(advert('a', { started_at: '2026-12-04T10:05:00.000Z' }));
    expect(loads.heardFrom('a', '2026-12-04T10:00:00.000Z')).toBe(false);
    expect(loads.heardFrom('a')).toBe(true);
  });
});
