import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createCodec, generateTone, parseRtpPacket, type RtpPacket, RtpSequencer, sequenceDelta } from '@parley/audio';
import { RtpSession } from './rtp-session';

const sockets: Socket[] = [];
const sessions: RtpSession[] = [];

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  sockets.push(s);
  return s;
}

afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
  for (const s of sockets.splice(0)) {
    try {
      s.close();
    } catch {
      // closed by its session
    }
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An RTP session on one socket and a far end on another; the far end records what it gets. */
async function pair(codec: 'ulaw' | 'g722', agentAudio: () => Int16Array | null) {
  const mediaSocket = await udp();
  const farEnd = await udp();
  const received: Array<{ packet: RtpPacket; from: number }> = [];
  farEnd.on('message', (m, rinfo) => received.push({ packet: parseRtpPacket(Buffer.from(m)), from: rinfo.port }));
  const heard: Int16Array[] = [];
  const session = new RtpSession({ socket: mediaSocket, codec, onAudio: (pcm) => heard.push(pcm), nextAudio: (n) => agentAudio()?.subarray(0, n) ?? null });
  sessions.push(session);
  return { session, mediaPort: (mediaSocket.address() as { port: number }).port, farEnd, received, heard };
}

describe('RtpSession', () => {
  it('answers where Asterisk sends from, in the far end\'s ptime (ulaw at 30 ms: 240-byte payloads, timestamp step 240)', async () => {
    const tone = generateTone({ frequency: 440, sampleRate: 16000, durationMs: 30, amplitude: 8000 });
    const { session, mediaPort, farEnd, received } = await pair('ulaw', () => tone);
    session.start();
    const enc = createCodec('ulaw');
    const seq = new RtpSequencer({ payloadType: 0 });
    const payload = enc.encode(new Int16Array(240));
    for (let i = 0; i < 10; i++) {
      farEnd.send(seq.nextPacket(payload, 240), mediaPort, '127.0.0.1');
      await sleep(30);
    }
    await sleep(100);
    expect(session.stats.remotePtimeMs).toBe(30);
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
    const { session, mediaPort, farEnd, received } = await pair('g722', () => null);
    session.setRemote({ address: '127.0.0.1', port: (farEnd.address() as { port: number }).port });
    session.start();
    await sleep(200);
    const out = received.map((r) => r.packet);
    expect(out.length).toBeGreaterThanOrEqual(5);
    expect(out.every((p) => p.header.payloadType === 9 && p.payload.length === 160)).toBe(true);
    expect((out[2]!.header.timestamp - out[1]!.header.timestamp) >>> 0).toBe(160);
    expect(out[0]!.header.marker).toBe(true);
    expect(mediaPort).toBeGreaterThan(0);
  });

  it('plays reordered packets in order, rejects other payload types, and keeps time through gaps with silence', async () => {
    const { session, mediaPort, farEnd, heard } = await pair('g722', () => null);
    session.start();
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
    expect(session.stats.packetsRejected).toBe(1);
    expect(session.jitterStats.reordered).toBe(1);
    expect(session.jitterStats.lost).toBe(0);
    // No packets after the burst: the caller side still gets (silent) audio, 16 kHz, in real time.
    const total = heard.reduce((n, p) => n + p.length, 0);
    expect(total).toBeGreaterThan(16 * 500);
    const loud = heard.filter((p) => p.some((v) => Math.abs(v) > 3000)).reduce((n, p) => n + p.length, 0);
    expect(loud).toBeGreaterThanOrEqual(16 * 180);
  });
});

describe('RtpSession latching', () => {
  it('latches to where Asterisk first sends from: answers only there, and hears no one else', async () => {
    const { session, mediaPort, farEnd, received, heard } = await pair('g722', () => null);
    const intruder = await udp();
    const intruderGot: Buffer[] = [];
    intruder.on('message', (m) => intruderGot.push(m));
    session.start();
    const seq = new RtpSequencer({ payloadType: 9 });
    const enc = createCodec('g722');
    const loud = enc.encode(generateTone({ frequency: 500, sampleRate: 16000, durationMs: 20, amplitude: 12000 }));
    for (let i = 0; i < 5; i++) {
      farEnd.send(seq.nextPacket(loud, 160), mediaPort, '127.0.0.1');
      await sleep(20);
    }
    await sleep(100);
    const heardBefore = session.stats.packetsIn;
    expect(heardBefore).toBe(5);
    // Someone else sprays packets at the port: the latched session ignores them.
    const spoofer = new RtpSequencer({ payloadType: 9 });
    for (let i = 0; i < 5; i++) intruder.send(spoofer.nextPacket(loud, 160), mediaPort, '127.0.0.1');
    await sleep(150);
    expect(session.stats.packetsIn).toBe(heardBefore);
    expect(received.length).toBeGreaterThan(5);
    expect(intruderGot).toHaveLength(0);
    expect(heard.length).toBeGreaterThan(0);
  });
});

describe('RtpSession with DTX', () => {
  it('stops sending after a short silence once Asterisk has been heard, and resumes with a marked talkspurt', async () => {
    let speak = false;
    const tone = generateTone({ frequency: 440, sampleRate: 16000, durationMs: 20, amplitude: 8000 });
    const mediaSocket = await udp();
    const farEnd = await udp();
    const received: RtpPacket[] = [];
    farEnd.on('message', (m) => received.push(parseRtpPacket(Buffer.from(m))));
    const session = new RtpSession({ socket: mediaSocket, codec: 'g722', dtx: true, onAudio: () => undefined, nextAudio: () => (speak ? tone : null) });
    sessions.push(session);
    session.start();
    farEnd.send(new RtpSequencer({ payloadType: 9 }).nextPacket(Buffer.alloc(160), 160), (mediaSocket.address() as { port: number }).port, '127.0.0.1');
    await sleep(500);
    expect(session.stats.packetsSuppressed).toBeGreaterThan(5);
    const beforeSpeech = received.length;
    await sleep(200);
    expect(received.length).toBe(beforeSpeech);
    speak = true;
    await sleep(100);
    const resumed = received.slice(beforeSpeech);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed[0]!.header.marker).toBe(true);
    expect(sequenceDelta(resumed[0]!.header.sequenceNumber, received[beforeSpeech - 1]!.header.sequenceNumber)).toBe(1);
    expect(((resumed[0]!.header.timestamp - received[beforeSpeech - 1]!.header.timestamp) >>> 0) > 160 * 10).toBe(true);
  });
});
