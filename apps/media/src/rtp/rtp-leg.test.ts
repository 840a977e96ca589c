import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createCodec, createWidebandCodec, generateTone, parseRtpPacket, rms, type RtpPacket, RtpSequencer, sequenceDelta } from '@parley/audio';
import type { RtpLeg, RtpLegOptions } from './rtp-leg';
import { type RtpEngineName, RtpLegs } from './rtp-legs';

const sockets: Socket[] = [];
const closers: Array<() => void> = [];
let nextPorts = 52000 + Math.floor(Math.random() * 300) * 20;

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  sockets.push(s);
  return s;
}

afterEach(() => {
  for (const close of closers.splice(0)) close();
  for (const s of sockets.splice(0)) s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const portOf = (s: Socket) => (s.address() as { port: number }).port;
const silentLogger = { warn: () => undefined, error: () => undefined };

/** A leg on the given engine and a far end that records what it gets. */
async function pair(engine: RtpEngineName, options: Partial<RtpLegOptions> & { codec: RtpLegOptions['codec'] }) {
  const first = nextPorts;
  nextPorts += 20;
  const legs = new RtpLegs({ engine, priority: 'realtime', host: '127.0.0.1', ports: { first, last: first + 19 }, logger: silentLogger });
  // The native engine is built at install: a test of it must not quietly run the fallback.
  expect(legs.engine).toBe(engine);
  const heard: Int16Array[] = [];
  const leg: RtpLeg = await legs.open({ onAudio: (pcm) => heard.push(pcm), ...options });
  closers.push(() => {
    leg.close();
    legs.close();
  });
  const farEnd = await udp();
  const received: Array<{ packet: RtpPacket; from: number; at: number }> = [];
  farEnd.on('message', (m, rinfo) => received.push({ packet: parseRtpPacket(Buffer.from(m)), from: rinfo.port, at: performance.now() }));
  return { leg, mediaPort: leg.port, farEnd, received, heard };
}

describe.each(['native', 'js'] as const)('RTP leg on the %s engine', (engine) => {
  it("answers where Asterisk sends from, in the far end's ptime (ulaw at 30 ms: 240-byte payloads, timestamp step 240)", async () => {
    const { leg, mediaPort, farEnd, received } = await pair(engine, { codec: 'ulaw' });
    leg.start();
    leg.playout.push(generateTone({ frequency: 440, sampleRate: 16000, durationMs: 2000, amplitude: 8000 }));
    const enc = createCodec('ulaw');
    const seq = new RtpSequencer({ payloadType: 0 });
    const payload = enc.encode(new Int16Array(240));
    for (let i = 0; i < 10; i++) {
      farEnd.send(seq.nextPacket(payload, 240), mediaPort, '127.0.0.1');
      await sleep(30);
    }
    await sleep(100);
    expect(leg.stats.remotePtimeMs).toBe(30);
    expect(leg.ptimeMs).toBe(30);
    const out = received.map((r) => r.packet);
    expect(out.length).toBeGreaterThan(5);
    expect(received.every((r) => r.from === mediaPort)).toBe(true);
    const late = out.slice(-4);
    expect(late.every((p) => p.header.payloadType === 0 && p.payload.length === 240)).toBe(true);
    for (let i = 1; i < late.length; i++) {
      expect(sequenceDelta(late[i]!.header.sequenceNumber, late[i - 1]!.header.sequenceNumber)).toBe(1);
      expect((late[i]!.header.timestamp - late[i - 1]!.header.timestamp) >>> 0).toBe(240);
    }
  });

  it('sends G.722 as PT 9, 160 bytes per 20 ms, timestamp step 160, and silence before there is speech', async () => {
    const { leg, farEnd, received } = await pair(engine, { codec: 'g722' });
    leg.setRemote({ address: '127.0.0.1', port: portOf(farEnd) });
    leg.start();
    await sleep(200);
    const out = received.map((r) => r.packet);
    expect(out.length).toBeGreaterThanOrEqual(5);
    expect(out.every((p) => p.header.payloadType === 9 && p.payload.length === 160)).toBe(true);
    for (let i = 1; i < out.length; i++) {
      expect(sequenceDelta(out[i]!.header.sequenceNumber, out[i - 1]!.header.sequenceNumber)).toBe(1);
      expect((out[i]!.header.timestamp - out[i - 1]!.header.timestamp) >>> 0).toBe(160);
    }
    expect(out[0]!.header.marker).toBe(true);
    expect(out.slice(1).some((p) => p.header.marker)).toBe(false);
    const decoder = createCodec('g722');
    expect(out.every((p) => rms(decoder.decode(p.payload)) < 50)).toBe(true);
  });

  it('plays reordered packets in order, rejects other payload types, and keeps time through gaps with silence', async () => {
    const { leg, mediaPort, farEnd, heard } = await pair(engine, { codec: 'g722' });
    leg.start();
    const enc = createCodec('g722');
    const seq = new RtpSequencer({ payloadType: 9 });
    const speech = generateTone({ frequency: 500, sampleRate: 16000, durationMs: 200, amplitude: 10000 });
    const packets = [];
    for (let o = 0; o < speech.length; o += 320) packets.push(seq.nextPacket(enc.encode(speech.subarray(o, o + 320)), 160));
    // Swap two neighbours, and add a packet of another payload type.
    [packets[3], packets[4]] = [packets[4]!, packets[3]!];
    for (const p of packets) farEnd.send(p, mediaPort, '127.0.0.1');
    farEnd.send(new RtpSequencer({ payloadType: 118 }).nextPacket(Buffer.alloc(640), 320), mediaPort, '127.0.0.1');
    await sleep(600);
    expect(leg.stats.packetsRejected).toBe(1);
    expect(leg.jitterStats.reordered).toBe(1);
    expect(leg.jitterStats.lost).toBe(0);
    // No packets after the burst: the caller side still gets (silent) audio, 16 kHz, in real time.
    const total = heard.reduce((n, p) => n + p.length, 0);
    expect(total).toBeGreaterThan(16 * 500);
    const loud = heard.filter((p) => p.some((v) => Math.abs(v) > 3000)).reduce((n, p) => n + p.length, 0);
    expect(loud).toBeGreaterThanOrEqual(16 * 180);
  });

  it('latches to where Asterisk first sends from: answers only there, and hears no one else', async () => {
    const { leg, mediaPort, farEnd, received, heard } = await pair(engine, { codec: 'g722' });
    const intruder = await udp();
    const intruderGot: Buffer[] = [];
    intruder.on('message', (m) => intruderGot.push(m));
    leg.start();
    const seq = new RtpSequencer({ payloadType: 9 });
    const enc = createCodec('g722');
    const loud = enc.encode(generateTone({ frequency: 500, sampleRate: 16000, durationMs: 20, amplitude: 12000 }));
    for (let i = 0; i < 5; i++) {
      farEnd.send(seq.nextPacket(loud, 160), mediaPort, '127.0.0.1');
      await sleep(20);
    }
    await sleep(100);
    const heardBefore = leg.stats.packetsIn;
    expect(heardBefore).toBe(5);
    expect(leg.remote).toEqual({ address: '127.0.0.1', port: portOf(farEnd) });
    // Someone else sprays packets at the port: the latched leg ignores them.
    const spoofer = new RtpSequencer({ payloadType: 9 });
    for (let i = 0; i < 5; i++) intruder.send(spoofer.nextPacket(loud, 160), mediaPort, '127.0.0.1');
    await sleep(150);
    expect(leg.stats.packetsIn).toBe(heardBefore);
    expect(received.length).toBeGreaterThan(5);
    expect(intruderGot).toHaveLength(0);
    expect(heard.length).toBeGreaterThan(0);
  });

  it('with DTX, stops sending after a short silence once Asterisk has been heard, and resumes with a marked talkspurt', async () => {
    const { leg, mediaPort, farEnd, received } = await pair(engine, { codec: 'g722', dtx: true });
    leg.start();
    farEnd.send(new RtpSequencer({ payloadType: 9 }).nextPacket(Buffer.alloc(160), 160), mediaPort, '127.0.0.1');
    await sleep(500);
    expect(leg.stats.packetsSuppressed).toBeGreaterThan(5);
    const beforeSpeech = received.length;
    expect(beforeSpeech).toBeGreaterThan(0);
    await sleep(200);
    expect(received.length).toBe(beforeSpeech);
    leg.playout.push(generateTone({ frequency: 440, sampleRate: 16000, durationMs: 200, amplitude: 8000 }));
    await sleep(100);
    const resumed = received.slice(beforeSpeech).map((r) => r.packet);
    const last = received[beforeSpeech - 1]!.packet;
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed[0]!.header.marker).toBe(true);
    expect(sequenceDelta(resumed[0]!.header.sequenceNumber, last.header.sequenceNumber)).toBe(1);
    expect(((resumed[0]!.header.timestamp - last.header.timestamp) >>> 0) > 160 * 10).toBe(true);
  });

  it.each(['g722', 'ulaw', 'alaw'] as const)('sends what the agent says (%s) exactly as the codec encodes it, through silence and speech again', async (codec) => {
    const { leg, farEnd, received } = await pair(engine, { codec });
    leg.setRemote({ address: '127.0.0.1', port: portOf(farEnd) });
    leg.start();
    await sleep(90);
    // Two bursts of 210 ms (each one's last packet padded with silence), 250 ms apart: the second
    // one is encoded from the state the silence left (G.722's rest code, the 2:1 filter's memory).
    const bursts = [0, 1].map((n) => {
      const a = generateTone({ frequency: 330 + 110 * n, sampleRate: 16000, durationMs: 210, amplitude: 9000 });
      const b = generateTone({ frequency: 2900, sampleRate: 16000, durationMs: 210, amplitude: 3000 });
      return a.map((v, i) => v + b[i]! + ((i * 7919) % 401) - 200);
    });
    leg.playout.push(bursts[0]!);
    await sleep(460);
    leg.playout.push(bursts[1]!);
    await sleep(400);
    const out = received.map((r) => r.packet);
    // Where each burst starts: the first loud packet after quiet ones (the marker bit is not
    // there when a busy event loop sent the first frame at its slot rather than at once).
    const decoder = createWidebandCodec(codec);
    const loud = out.map((p) => rms(decoder.decode(p.payload)) > 500);
    const starts = loud.flatMap((l, i) => (l && i >= 5 && !loud.slice(i - 5, i).some(Boolean) ? [i] : []));
    expect(starts).toHaveLength(2);
    const frames = Math.ceil(bursts[0]!.length / 320);
    expect(starts[1]! - starts[0]!).toBeGreaterThan(frames + 5);
    expect(out.length).toBeGreaterThan(starts[1]! + frames + 5);
    const reference = createWidebandCodec(codec);
    for (let i = 0; i < out.length; i++) {
      const burst = i >= starts[1]! ? 1 : 0;
      const k = i - starts[burst]!;
      let expected: Buffer;
      if (k >= 0 && k < frames) {
        const frame = new Int16Array(320);
        frame.set(bursts[burst]!.subarray(k * 320, (k + 1) * 320));
        expected = reference.encode(frame);
      } else {
        expected = reference.encodeSilence(320);
      }
      expect(Buffer.from(out[i]!.payload).equals(expected), `packet ${i} (talkspurts at ${starts.join(', ')})`).toBe(true);
    }
  });

  it('tells when a piece started playing, hands back what went out, and goes silent at once when cleared', async () => {
    const agentAudio: Int16Array[] = [];
    let trimmed = 0;
    const { leg, farEnd, received } = await pair(engine, { codec: 'g722', onAgentAudio: (pcm) => agentAudio.push(pcm), onAgentAudioTrim: (n) => (trimmed += n) });
    leg.setRemote({ address: '127.0.0.1', port: portOf(farEnd) });
    leg.start();
    await sleep(70);
    let sentAt: number | undefined;
    const pushedAt = performance.now();
    leg.playout.push(generateTone({ frequency: 440, sampleRate: 16000, durationMs: 2000, amplitude: 8000 }), (at) => (sentAt = at));
    expect(leg.playout.playing).toBe(true);
    let drained = false;
    void leg.playout.drained().then(() => (drained = true));
    await sleep(200);
    expect(sentAt).toBeDefined();
    expect(sentAt!).toBeGreaterThanOrEqual(pushedAt);
    const decoder = createCodec('g722');
    const firstLoud = received.find((r) => rms(decoder.decode(r.packet.payload)) > 1000);
    expect(firstLoud).toBeDefined();
    expect(firstLoud!.at).toBeGreaterThanOrEqual(sentAt!);
    expect(drained).toBe(false);

    leg.playout.clear();
    const clearedAt = performance.now();
    await Promise.resolve();
    expect(drained).toBe(true);
    expect(leg.playout.playing).toBe(false);
    await sleep(150);
    // Within a packet or two of the clear, and from then on, only silence goes out.
    const after = received.filter((r) => r.at > clearedAt + 45);
    expect(after.length).toBeGreaterThan(3);
    const level = createCodec('g722');
    for (const r of received) {
      const pcm = level.decode(r.packet.payload);
      if (r.at > clearedAt + 45) expect(rms(pcm)).toBeLessThan(100);
    }
    // What went out, slot for slot (silence included), less the part of one silent packet that
    // the talkspurt cut short (0 < cut <= 320).
    await sleep(30);
    const handedBack = agentAudio.reduce((n, p) => n + p.length, 0) - trimmed;
    const cut = leg.stats.ticks * 320 - handedBack;
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBeLessThanOrEqual(320);
    expect(agentAudio.some((p) => rms(p) > 3000)).toBe(true);
  });
});
