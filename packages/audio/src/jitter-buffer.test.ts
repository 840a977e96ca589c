import { describe, expect, it } from 'vitest';
import { type JitterFrame, JitterBuffer, concealPcm } from './jitter-buffer';

/** A 20 ms G.711/G.722 packet (160 bytes, timestamp step 160) whose payload bytes carry its sequence number. */
function packet(seq: number, options: { ts?: number; bytes?: number; ssrc?: number; base?: number } = {}) {
  const bytes = options.bytes ?? 160;
  const ts = options.ts ?? (((options.base ?? 1000) + (seq - (options.base ?? 1000)) * bytes) >>> 0);
  return { header: { sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc: options.ssrc ?? 7 }, payload: new Uint8Array(bytes).fill(seq & 0xff) };
}

function describeFrame(frame: JitterFrame | null): string {
  if (frame === null) return 'null';
  if (frame.kind === 'audio') return `${frame.sequenceNumber}`;
  return `${frame.reason}:${frame.gain}`;
}

function popAll(jb: JitterBuffer, count: number): string[] {
  return Array.from({ length: count }, () => describeFrame(jb.pop()));
}

describe('JitterBuffer', () => {
  it('waits for the target delay, then plays in order', () => {
    const jb = new JitterBuffer({ targetDelayMs: 60 });
    jb.push(packet(1000));
    expect(jb.pop()).toBeNull();
    jb.push(packet(1001));
    expect(jb.pop()).toBeNull();
    jb.push(packet(1002));
    expect(jb.bufferedMs).toBe(60);
    const frame = jb.pop();
    expect(frame).toMatchObject({ kind: 'audio', sequenceNumber: 1000, timestamp: 1000, durationUnits: 160 });
    expect(popAll(jb, 2)).toEqual(['1001', '1002']);
    expect(jb.stats).toMatchObject({ received: 3, lost: 0, late: 0, duplicate: 0, reordered: 0, concealed: 0 });
  });

  it('reorders packets that arrive out of order within the delay', () => {
    const jb = new JitterBuffer({ targetDelayMs: 60 });
    for (const seq of [1001, 1000, 1003, 1002, 1004, 1006, 1005]) jb.push(packet(seq));
    expect(popAll(jb, 7)).toEqual(['1000', '1001', '1002', '1003', '1004', '1005', '1006']);
    expect(jb.stats.reordered).toBe(3);
    expect(jb.stats.lost).toBe(0);
  });

  it('drops duplicates, whether still buffered or already played', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    jb.push(packet(1000));
    jb.push(packet(1000));
    jb.push(packet(1001));
    expect(popAll(jb, 2)).toEqual(['1000', '1001']);
    jb.push(packet(1001));
    jb.push(packet(1002));
    expect(popAll(jb, 1)).toEqual(['1002']);
    expect(jb.stats.duplicate).toBe(2);
    expect(jb.stats.late).toBe(0);
  });

  it('conceals a lost packet, counts it, and drops it as late if it shows up afterwards', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    for (const seq of [1000, 1001, 1003, 1004]) jb.push(packet(seq));
    const frames = [jb.pop(), jb.pop(), jb.pop(), jb.pop(), jb.pop()];
    expect(frames.map(describeFrame)).toEqual(['1000', '1001', 'loss:0.75', '1003', '1004']);
    const concealed = frames[2];
    expect(concealed).toMatchObject({ kind: 'concealed', timestamp: 1000 + 2 * 160, durationUnits: 160 });
    // The repeat is of the last real frame (1001).
    expect(concealed?.kind === 'concealed' && concealed.lastPayload?.[0]).toBe(1001 & 0xff);
    jb.push(packet(1002));
    expect(jb.stats).toMatchObject({ lost: 1, late: 1, concealed: 1 });
    expect(jb.pop()).toMatchObject({ kind: 'concealed', reason: 'underrun' });
  });

  it('fades a long loss out to silence, then recovers', () => {
    const jb = new JitterBuffer({ targetDelayMs: 20 });
    jb.push(packet(1000));
    for (let seq = 1007; seq < 1010; seq++) jb.push(packet(seq));
    expect(popAll(jb, 10)).toEqual(['1000', 'loss:0.75', 'loss:0.5', 'loss:0.25', 'loss:0', 'loss:0', 'loss:0', '1007', '1008', '1009']);
    expect(jb.stats.lost).toBe(6);
    expect(jb.stats.concealed).toBe(6);
  });

  it('handles sequence number and timestamp wraparound', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40 });
    const seqs = [65533, 65534, 65535, 0, 1, 2, 3];
    const base = 0xffffffff - 2 * 160;
    const packets = seqs.map((seq, i) => packet(seq, { ts: (base + i * 160) >>> 0 }));
    // Reorder across the wrap and lose seq 1.
    for (const i of [0, 1, 3, 2, 5, 6]) jb.push(packets[i]);
    expect(popAll(jb, 7)).toEqual(['65533', '65534', '65535', '0', 'loss:0.75', '2', '3']);
    expect(jb.stats).toMatchObject({ lost: 1, reordered: 1, late: 0 });
  });

  it('follows 30 ms packets (240 bytes, timestamp step 240)', () => {
    const jb = new JitterBuffer({ targetDelayMs: 60 });
    jb.push(packet(1000, { bytes: 240 }));
    expect(jb.pop()).toBeNull();
    jb.push(packet(1001, { bytes: 240 }));
    jb.push(packet(1003, { bytes: 240 }));
    expect(jb.pop()).toMatchObject({ kind: 'audio', durationUnits: 240 });
    expect(jb.pop()).toMatchObject({ kind: 'audio', sequenceNumber: 1001 });
    expect(jb.pop()).toMatchObject({ kind: 'concealed', reason: 'loss', durationUnits: 240, timestamp: 1000 + 2 * 240 });
    expect(jb.pop()).toMatchObject({ kind: 'audio', sequenceNumber: 1003 });
  });

  it('conceals an underrun, keeps the missing slot open for a packet that was only delayed, then refills', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40, maxUnderrunMs: 60 });
    jb.push(packet(1000));
    jb.push(packet(1001));
    expect(popAll(jb, 3)).toEqual(['1000', '1001', 'underrun:0.75']);
    // 1002 arrives late but its slot was never given away: it plays (the delay grew by a frame).
    jb.push(packet(1002));
    expect(popAll(jb, 1)).toEqual(['1002']);
    expect(jb.stats.late).toBe(0);
    // Then silence from the far end: three concealed frames (60 ms) and the buffer stops to refill.
    expect(popAll(jb, 5)).toEqual(['underrun:0.75', 'underrun:0.5', 'underrun:0.25', 'null', 'null']);
    expect(jb.stats.underruns).toBe(2);
    // A burst after the pause: buffered up to the target, played in order.
    for (let seq = 1003; seq < 1008; seq++) jb.push(packet(seq, { ts: 1000 + (seq - 1000) * 160 + 8000 }));
    expect(popAll(jb, 6)).toEqual(['1003', '1004', '1005', '1006', '1007', 'underrun:0.75']);
    expect(jb.stats.lost).toBe(0);
  });

  it('counts packets lost while the buffer was refilling', () => {
    const jb = new JitterBuffer({ targetDelayMs: 20, maxUnderrunMs: 20 });
    jb.push(packet(1000));
    expect(popAll(jb, 3)).toEqual(['1000', 'underrun:0.75', 'null']);
    jb.push(packet(1004));
    expect(popAll(jb, 1)).toEqual(['1004']);
    expect(jb.stats.lost).toBe(3);
  });

  it('bounds the delay: a burst beyond maxDelayMs discards the oldest packets', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40, maxDelayMs: 100 });
    for (let seq = 1000; seq < 1010; seq++) jb.push(packet(seq));
    expect(jb.bufferedMs).toBe(100);
    expect(jb.stats.discarded).toBe(5);
    expect(popAll(jb, 5)).toEqual(['1005', '1006', '1007', '1008', '1009']);
    expect(jb.stats.lost).toBe(0);
  });

  it('drains a standing excess back towards the target by dropping a frame now and then', () => {
    const jb = new JitterBuffer({ targetDelayMs: 40, maxDelayMs: 300 });
    let seq = 1000;
    for (; seq < 1010; seq++) jb.push(packet(seq));
    // Steady state: one packet in per frame out, with 200 ms buffered instead of 40.
    for (let i = 0; i < 200; i++) {
      jb.pop();
      jb.push(packet(seq++));
    }
    expect(jb.bufferedMs).toBeLessThanOrEqual(40 + 2 * 20 + 20);
    expect(jb.stats.discarded).toBeGreaterThan(0);
  });

  it('starts over when the SSRC changes or the sequence jumps', () => {
    const jb = new JitterBuffer({ targetDelayMs: 20 });
    jb.push(packet(1000));
    expect(popAll(jb, 1)).toEqual(['1000']);
    jb.push(packet(50, { ssrc: 8 }));
    expect(popAll(jb, 1)).toEqual(['50']);
    jb.push(packet(40000, { ssrc: 8 }));
    expect(popAll(jb, 1)).toEqual(['40000']);
    expect(jb.stats).toMatchObject({ resets: 2, late: 0, lost: 0 });
  });

  it('reset drops what is buffered and accepts a new stream, keeping the stats', () => {
    const jb = new JitterBuffer({ targetDelayMs: 20 });
    jb.push(packet(1000));
    jb.push(packet(1001));
    expect(popAll(jb, 1)).toEqual(['1000']);
    jb.reset();
    expect(jb.bufferedMs).toBe(0);
    expect(jb.pop()).toBeNull();
    // An older sequence number is not late after a reset.
    jb.push(packet(900));
    expect(popAll(jb, 1)).toEqual(['900']);
    expect(jb.stats).toMatchObject({ received: 3, late: 0, resets: 0 });
  });

  it('adapts the target to jitter and to late packets', () => {
    let now = 0;
    const jb = new JitterBuffer({ adaptive: true, targetDelayMs: 60, minDelayMs: 40, maxDelayMs: 300, now: () => now });
    // Packets every 20 ms with no jitter: the target settles at the minimum.
    for (let seq = 1000; seq < 1050; seq++) {
      now = (seq - 1000) * 20;
      jb.push(packet(seq));
      jb.pop();
    }
    expect(jb.targetDelayMs).toBe(40);
    // Arrivals now wander by +-30 ms: jitter rises and the target follows.
    for (let seq = 1050; seq < 1150; seq++) {
      now = (seq - 1000) * 20 + (seq % 2 === 0 ? 30 : -30);
      jb.push(packet(seq));
      jb.pop();
    }
    expect(jb.jitterMs).toBeGreaterThan(30);
    expect(jb.targetDelayMs).toBeGreaterThan(100);
  });
  it('measures jitter within talkspurts: a pause its timestamps do not count, then a marked packet, adds no delay', () => {
    const run = (marked: boolean) => {
      let now = 0;
      const jb = new JitterBuffer({ adaptive: true, targetDelayMs: 60, minDelayMs: 40, maxDelayMs: 300, now: () => now });
      let at = 0;
      let most = 0;
      for (let burst = 0; burst < 4; burst++) {
        for (let k = 0; k < 25; k++) {
          const seq = 1000 + burst * 25 + k;
          now = at;
          const p = packet(seq);
          jb.push({ ...p, header: { ...p.header, marker: marked && k === 0 && burst > 0 } });
          jb.pop();
          most = Math.max(most, jb.targetDelayMs);
          at += 20;
        }
        // 600 ms of silence the sender's timestamps leave out (the next timestamp follows on).
        at += 600;
      }
      return most;
    };
    expect(run(true)).toBe(40);
    // Without the marker the pause looks like jitter, and the delay grows for nothing.
    expect(run(false)).toBeGreaterThan(100);
  });
});

describe('concealPcm', () => {
  it('repeats the last frame with a ramp between gains, tiling if needed, and goes silent at 0', () => {
    const last = Int16Array.from([1000, -1000]);
    expect(Array.from(concealPcm(last, 0.5, new Int16Array(4), 1))).toEqual([875, -750, 625, -500]);
    expect(Array.from(concealPcm(last, 0, new Int16Array(3)))).toEqual([0, 0, 0]);
  });
});
