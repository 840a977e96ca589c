/**
 * The far ends of the media benchmark, in their own process (so their CPU is not the media
 * process's): per call a UDP socket that speaks a recorded utterance as real-time RTP, stays
 * silent (no packets, as Asterisk relays nothing while the far end is quiet) until the agent has
 * answered, and measures the gap from its last speech packet to the first agent audio it hears.
 * With `transport: 'webrtc'` each far end is a browser instead: a werift peer connection (the
 * offer goes to the media process, which answers), its RTP over DTLS-SRTP.
 */
import { createSocket, type Socket } from 'node:dgram';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { type CodecName, createCodec, parseRtpPacket, rms, RtpSequencer } from '@parley/audio';
import { downsample } from './bench-support';

interface StartMessage {
  type: 'start';
  transport?: 'udp' | 'webrtc';
  codec: CodecName;
  /** 16 kHz PCM of the utterance, as a plain array. */
  speech: number[];
  targets: Array<{ host: string; port: number }>;
  durationMs: number;
  /** Silence after the agent's audio stops before speaking again. */
  pauseMs: number;
  /** How long the agent's (fixed) reply lasts. */
  replyMs: number;
}

interface CallState {
  send: (packet: Buffer) => void;
  close: () => void;
  decoder: ReturnType<typeof createCodec>;
  target: { host: string; port: number };
  sequencer: RtpSequencer;
  speaking: boolean;
  lastSpeechAt: number;
  awaitingReply: boolean;
  agentAudioUntil: number;
  gapsMs: number[];
  received: number;
}

const frames: Buffer[] = [];
let stopped = false;
let codecName: CodecName = 'g722';

process.on('message', (raw: unknown) => {
  const msg = raw as StartMessage;
  if (msg.type === 'start') void run(msg);
});

async function run(msg: StartMessage): Promise<void> {
  codecName = msg.codec;
  const codec = createCodec(msg.codec);
  const pcm = Int16Array.from(msg.speech);
  const narrow = codec.sampleRate === 8000;
  const source = narrow ? downsample(pcm) : pcm;
  const perFrame = codec.sampleRate / 50;
  frames.length = 0;
  for (let o = 0; o + perFrame <= source.length; o += perFrame) frames.push(codec.encode(source.subarray(o, o + perFrame)));
  const calls: CallState[] = [];
  const onPacket = (state: CallState) => (m: Buffer) => {
      state.received++;
      // Only listen (decode) while waiting for the agent's answer: this process must stay light,
      // it shares the machine with the media process it measures.
      if (!state.awaitingReply) return;
      const now = performance.now();
      let loud = false;
      try {
        loud = rms(state.decoder.decode(parseRtpPacket(m).payload)) > 300;
      } catch {
        return;
      }
      if (!loud) return;
      state.gapsMs.push(now - state.lastSpeechAt);
      state.awaitingReply = false;
      // The reply has a known length: speak again once it is over and a pause has passed.
      state.agentAudioUntil = now + msg.replyMs;
  };
  const fresh = (send: CallState['send'], close: CallState['close'], target: CallState['target']): CallState => ({
    send,
    close,
    decoder: createCodec(msg.codec),
    target,
    sequencer: new RtpSequencer({ payloadType: codec.payloadType }),
    speaking: false,
    lastSpeechAt: 0,
    awaitingReply: false,
    agentAudioUntil: 0,
    gapsMs: [],
    received: 0,
  });
  if (msg.transport === 'webrtc') {
    calls.push(...(await browsers(msg, codec.payloadType, fresh, onPacket)));
    process.send?.({ type: 'ready', ports: [] });
  } else {
    const sockets: Socket[] = [];
    for (const target of msg.targets) {
      const socket = createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
      const state = fresh((p) => socket.send(p, target.port, target.host), () => socket.close(), target);
      socket.on('message', onPacket(state));
      calls.push(state);
      sockets.push(socket);
    }
    process.send?.({ type: 'ready', ports: sockets.map((socket) => ({ port: (socket.address() as { port: number }).port })) });
  }

  const start = performance.now();
  const cpu0 = process.cpuUsage();
  calls.forEach((call, i) => {
    // Spread the calls' speech over time, as real callers do not all talk at once.
    setTimeout(() => speak(call, start + msg.durationMs, msg.pauseMs), (i * 997) % 3000);
  });
  await new Promise((r) => setTimeout(r, msg.durationMs + 3500));
  const gaps = calls.flatMap((c) => c.gapsMs);
  const cpu = process.cpuUsage(cpu0);
  stopped = true;
  process.send?.({ type: 'done', gaps, received: calls.reduce((n, c) => n + c.received, 0), cpuCores: (cpu.user + cpu.system) / 1000 / (performance.now() - start) });
  for (const c of calls) c.close();
}

/** One werift peer per call: offers to the parent (the media side), takes its answers, and waits until all connect. */
async function browsers(
  msg: StartMessage & { count?: number },
  payloadType: number,
  fresh: (send: CallState['send'], close: CallState['close'], target: CallState['target']) => CallState,
  onPacket: (state: CallState) => (m: Buffer) => void,
): Promise<CallState[]> {
  const codecs = { audio: [new RTCRtpCodecParameters({ mimeType: msg.codec === 'g722' ? 'audio/G722' : 'audio/PCMU', clockRate: 8000, channels: 1, payloadType })] };
  const peers = Array.from({ length: msg.count ?? 0 }, () => {
    const pc = new RTCPeerConnection({ codecs, iceAdditionalHostAddresses: ['127.0.0.1'], iceInterfaceAddresses: { udp4: '127.0.0.1' }, iceUseIpv6: false });
    const track = new MediaStreamTrack({ kind: 'audio' });
    const state = fresh((p) => track.writeRtp(p), () => void pc.close(), { host: 'webrtc', port: 0 });
    pc.addTransceiver(track, { direction: 'sendrecv' }).onTrack.subscribe((remote) => remote.onReceiveRtp.subscribe((rtp) => onPacket(state)(rtp.serialize())));
    return { pc, state };
  });
  const offers = await Promise.all(
    peers.map(async ({ pc }) => {
      await pc.setLocalDescription(await pc.createOffer());
      if (pc.iceGatheringState !== 'complete') await new Promise<void>((r) => pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && r()));
      return pc.localDescription!.sdp;
    }),
  );
  const answers = new Promise<string[]>((resolve) => process.on('message', (m) => (m as { type: string }).type === 'answers' && resolve((m as { sdps: string[] }).sdps)));
  process.send?.({ type: 'offers', sdps: offers });
  const sdps = await answers;
  await Promise.all(
    peers.map(async ({ pc }, i) => {
      await pc.setRemoteDescription({ type: 'answer', sdp: sdps[i]! });
      if (pc.connectionState !== 'connected') await new Promise<void>((r) => pc.connectionStateChange.subscribe((s) => s === 'connected' && r()));
    }),
  );
  return peers.map((p) => p.state);
}

function speak(call: CallState, endAt: number, pauseMs: number): void {
  if (performance.now() > endAt) return;
  const t0 = performance.now();
  let i = 0;
  const tick = () => {
    if (stopped) return;
    // Drift-free 20 ms pacing from the start of the utterance.
    while (i < frames.length && t0 + i * 20 <= performance.now() + 1) {
      const payload = frames[i]!;
      call.send(call.sequencer.nextPacket(payload, 160));
      i++;
    }
    if (i < frames.length) {
      setTimeout(tick, Math.max(0, t0 + i * 20 - performance.now()));
      return;
    }
    call.lastSpeechAt = t0 + (i - 1) * 20 + 20;
    // A fresh decoder: the G.722 state of the packets we skipped is unknown; it settles within ms.
    call.decoder = createCodec(codecName);
    call.awaitingReply = true;
    call.sequencer.skip(0);
    waitForQuiet();
  };
  const waitForQuiet = () => {
    if (stopped) return;
    const now = performance.now();
    // Speak again once the agent has said its piece and paused (or after 5 s without an answer).
    if ((!call.awaitingReply && now - call.agentAudioUntil >= pauseMs) || now - call.lastSpeechAt > 5000) {
      call.awaitingReply = false;
      speak(call, endAt, pauseMs);
    } else {
      setTimeout(waitForQuiet, 50);
    }
  };
  tick();
}
