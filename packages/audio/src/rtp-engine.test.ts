import { createSocket, type Socket } from 'node:dgram';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { SPEECH_16K, readMonoWav } from '../test/fixtures';
import { createWidebandCodec } from './codec';
import { type ReceivedDatagram, ipv4ToString, RtpEngine, type RtpEngineStream, WakeProbe } from './rtp-engine';
import { parseRtpPacket, type RtpPacket, RtpSequencer } from './rtp';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});
let nextPort = 53000 + Math.floor(Math.random() * 400) * 10;

function engine(priority: 'realtime' | 'high' | 'normal' = 'realtime'): RtpEngine {
  const e = new RtpEngine({ priority });
  cleanups.push(() => e.close());
  return e;
}

async function farEnd(): Promise<{ socket: Socket; port: number; got: Array<{ packet: RtpPacket; at: number }> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => socket.close());
  const got: Array<{ packet: RtpPacket; at: number }> = [];
  socket.on('message', (m) => got.push({ packet: parseRtpPacket(Buffer.from(m)), at: performance.now() }));
  return { socket, port: (socket.address() as { port: number }).port, got };
}

/** A stream on the next free port: these ports sit in the ephemeral range, where other tests' sockets may land (as RtpPortPool, it moves on). */
function open(e: RtpEngine, codec: 'g722' | 'ulaw' | 'alaw', options: { echo?: boolean; dtx?: boolean } = {}): RtpEngineStream {
  for (;;) {
    try {
      const s = e.open({ host: '127.0.0.1', port: nextPort++, codec, ...options });
      cleanups.push(() => s.close());
      return s;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    }
  }
}

describe('RtpEngine', () => {
  it('is built here (CI builds it at install), and says what priority its thread got', () => {
    expect(RtpEngine.unavailable).toBeUndefined();
    expect(engine('normal').scheduling).toBe('normal');
    // As root or with CAP_SYS_NICE / RLIMIT_RTPRIO: realtime; otherwise it says it fell back.
    expect(engine('realtime').scheduling).toMatch(/^(realtime \(SCHED_FIFO 10\)|high \(nice -10\)|normal)$/);
  });

  it('refuses a port that is taken with the errno code, so the port pool moves on', () => {
    const e = engine();
    const s = open(e, 'g722');
    expect(() => e.open({ host: '127.0.0.1', port: s.port, codec: 'g722' })).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
  });

  it('hands over what arrived on every stream at once: which stream, from where, the bytes, and the kernel arrival time', async () => {
    const e = engine();
    const a = open(e, 'g722');
    const b = open(e, 'ulaw');
    const far = await farEnd();
    const seq = new RtpSequencer({ payloadType: 9 });
    const sentAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      sentAt.push(performance.now());
      far.socket.send(seq.nextPacket(Buffer.alloc(160, i), 160), a.port, '127.0.0.1');
      await sleep(15);
    }
    far.socket.send(Buffer.from([1, 2, 3]), b.port, '127.0.0.1');
    await sleep(20);
    const drainedAt = performance.now();
    const got: ReceivedDatagram[] = [];
    expect(e.receive((d) => got.push({ ...d, data: Buffer.from(d.data) }))).toBe(4);
    const forA = got.filter((d) => d.streamId === a.id);
    expect(forA.map((d) => d.data[12])).toEqual([0, 1, 2]);
    expect(forA.every((d) => ipv4ToString(d.address) === '127.0.0.1' && d.port === far.port)).toBe(true);
    // Arrival times are the kernel's, not the drain's: in order, each after its send, all before the drain.
    forA.forEach((d, i) => {
      expect(d.arrivedAt).toBeGreaterThanOrEqual(sentAt[i]! - 1);
      expect(d.arrivedAt).toBeLessThanOrEqual(drainedAt);
    });
    expect(forA[2]!.arrivedAt - forA[0]!.arrivedAt).toBeGreaterThan(20);
    expect(got.find((d) => d.streamId === b.id)?.data).toEqual(Buffer.from([1, 2, 3]));
    expect(e.receive(() => undefined)).toBe(0);
  });

  it('encodes recorded speech as the TypeScript codecs do, byte for byte, for every codec', async () => {
    const { sampleRate, pcm } = readMonoWav(SPEECH_16K);
    expect(sampleRate).toBe(16000);
    const speech = pcm.subarray(0, 16000);
    const e = engine();
    const far = await Promise.all([farEnd(), farEnd(), farEnd()]);
    const codecs = ['g722', 'ulaw', 'alaw'] as const;
    const streams = codecs.map((c) => open(e, c));
    streams.forEach((s, i) => {
      s.setRemote({ address: '127.0.0.1', port: far[i]!.port }, false);
      s.start();
    });
    await sleep(50);
    for (const s of streams) s.write(speech);
    await sleep(1300);
    codecs.forEach((codec, i) => {
      const out = far[i]!.got.map((g) => g.packet);
      const start = out.findIndex((p, k) => k > 0 && p.header.marker);
      expect(start, codec).toBeGreaterThan(0);
      const reference = createWidebandCodec(codec);
      for (let k = 0; k < out.length; k++) {
        const frame = k - start;
        const expected = frame >= 0 && frame < 50 ? reference.encode(speech.subarray(frame * 320, (frame + 1) * 320)) : reference.encodeSilence(320);
        expect(Buffer.from(out[k]!.payload).equals(expected), `${codec} packet ${k}`).toBe(true);
      }
    });
  });

  it('with two pacing threads (one per CPU), sends every slot of every stream once, in order', async () => {
    const e = engine();
    expect(e.stats.threads).toBe(Math.min(2, availableParallelism()));
    const far = await Promise.all(Array.from({ length: 40 }, () => farEnd()));
    const streams = far.map((f, i) => {
      const s = open(e, i % 2 ? 'ulaw' : 'g722');
      s.setRemote({ address: '127.0.0.1', port: f.port }, false);
      s.start();
      return s;
    });
    // Talkspurts starting at odd moments move the schedule under both threads.
    for (let round = 0; round < 5; round++) {
      await sleep(37);
      for (const s of streams) s.write(new Int16Array(2000).fill(1000));
    }
    await sleep(300);
    const stats = streams.map((s) => ({ ...s.poll().stats }));
    for (const s of streams) s.close();
    await sleep(50);
    far.forEach((f, i) => {
      const packets = f.got.map((g) => g.packet.header);
      expect(stats[i]!.packetsOut).toBe(stats[i]!.ticks);
      // What went out by the poll arrived, plus at most a frame or two sent before the close.
      expect(packets.length).toBeGreaterThanOrEqual(stats[i]!.packetsOut);
      expect(packets.length).toBeLessThanOrEqual(stats[i]!.packetsOut + 2);
      for (let k = 1; k < packets.length; k++) {
        expect((packets[k]!.sequenceNumber - packets[k - 1]!.sequenceNumber + 65536) % 65536, `stream ${i} packet ${k}`).toBe(1);
        // A frame's worth of clock between packets; a talkspurt (marked) starts mid-slot, further on, never back (on a
        // loaded machine its write can land right on a slot: one frame on exactly).
        const step = (packets[k]!.timestamp - packets[k - 1]!.timestamp + 2 ** 32) % 2 ** 32;
        if (packets[k]!.marker) expect(step, `stream ${i} packet ${k}`).toBeGreaterThanOrEqual(160);
        else expect(step, `stream ${i} packet ${k}`).toBe(160);
      }
    });
  });

  it('reports a marked write when its first sample goes out, hands back what was sent, and drops the rest on flush', async () => {
    const e = engine();
    const far = await farEnd();
    const s = open(e, 'g722', { echo: true });
    s.setRemote({ address: '127.0.0.1', port: far.port }, false);
    s.start();
    await sleep(45);
    let sent = s.poll().sent.length;
    const writtenAt = performance.now();
    s.write(new Int16Array(16000).fill(3000), 7);
    await sleep(100);
    const poll = s.poll();
    expect(poll.marks).toHaveLength(1);
    expect(poll.marks[0]!.id).toBe(7);
    expect(poll.marks[0]!.sentAt).toBeGreaterThanOrEqual(writtenAt);
    expect(poll.marks[0]!.sentAt).toBeLessThan(performance.now());
    expect(poll.queuedSamples).toBeGreaterThan(16000 - 160 * 16);
    expect(poll.sent.some((v) => v === 3000)).toBe(true);
    sent += poll.sent.length - poll.trimBefore;
    s.write(new Int16Array(320).fill(1), 8);
    s.flush();
    await sleep(60);
    const after = s.poll();
    expect(after.queuedSamples).toBe(0);
    // The flushed write's mark never goes out; after the flush only silence was sent.
    expect(after.marks).toHaveLength(0);
    expect(after.sent.slice(-320 * 2).every((v) => v === 0)).toBe(true);
    sent += after.sent.length - after.trimBefore;
    // Slot for slot, less what the talkspurt cut from the silent packet before it.
    expect(after.stats.ticks * 320 - sent).toBeGreaterThan(0);
    expect(after.stats.ticks * 320 - sent).toBeLessThanOrEqual(320);
    expect(after.stats.packetsOut).toBe(after.stats.ticks);
  });

  it('keeps writing to a closed stream harmless, and closes every stream when it stops', async () => {
    const e = engine();
    const s = open(e, 'ulaw');
    s.close();
    expect(() => s.write(new Int16Array(320))).not.toThrow();
    const t = open(e, 'ulaw');
    e.close();
    expect(() => t.write(new Int16Array(320))).not.toThrow();
    expect(() => e.open({ host: '127.0.0.1', port: nextPort++, codec: 'g722' })).toThrow(/closed/);
    // The port is free again.
    const again = engine().open({ host: '127.0.0.1', port: t.port, codec: 'g722' });
    again.close();
  });
});

describe('WakeProbe', () => {
  it('wakes on its own schedule at the priority it could get, counts late wake-ups, and stops when closed', async () => {
    const t0 = performance.now();
    const probe = new WakeProbe('realtime');
    cleanups.push(() => probe.close());
    expect(probe.scheduling).toBe(engine('realtime').scheduling);
    const normal = new WakeProbe('normal');
    cleanups.push(() => normal.close());
    expect(normal.scheduling).toBe('normal');
    await sleep(100);
    const running = probe.stats;
    const elapsedMs = performance.now() - t0;
    expect(running.wakeups).toBeGreaterThan(0);
    // One wake-up per 1 ms slot at most: slots slept through are skipped, not made up in a burst.
    expect(running.wakeups).toBeLessThanOrEqual(Math.ceil(elapsedMs) + 2);
    // A timed sleep never ends before its deadline, so some lateness is always measured, and no more than the run lasted.
    expect(running.maxLateMs).toBeGreaterThan(0);
    expect(running.maxLateMs).toBeLessThan(elapsedMs + 5);
    // A wake-up counts as late past 5 ms, so late wake-ups and the worst lateness agree.
    expect(running.lateWakeups > 0).toBe(running.maxLateMs > 5);
    probe.close();
    const closed = probe.stats.wakeups;
    await sleep(30);
    expect(probe.stats.wakeups).toBe(closed);
  });
});
