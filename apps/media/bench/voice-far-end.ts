/**
 * The callers of the voice benchmark, in their own process: per call a UDP socket that says
 * utterances as real-time RTP, some with a pause inside (the caller thinking mid-sentence), then
 * waits for the agent. Each call starts as an answered outbound call: the callee's first words
 * ("Hello?", some with a pause inside), then the agent's greeting. It measures, per turn and for the
 * greeting apart, the gap from its last speech packet to the first agent audio it hears, and counts
 * premature replies: agent audio that starts while the caller has only paused inside an utterance.
 */
import { createSocket, type Socket } from 'node:dgram';
import { type CodecName, createCodec, parseRtpPacket, rms, RtpSequencer } from '@parley/audio';
import { downsample } from './bench-support';

export interface VoiceUtterance {
  /** 16 kHz PCM of each part, as plain arrays; the parts are separated by `pauseMs` of silence. */
  parts: number[][];
  pauseMs: number;
}

export interface VoiceStartMessage {
  type: 'start';
  codec: CodecName;
  utterances: VoiceUtterance[];
  /** What callees say on answering, before the greeting (one per call, in turn). */
  firstWords: VoiceUtterance[];
  targets: Array<{ host: string; port: number }>;
  durationMs: number;
  /** Silence after the agent's audio stops before speaking again. */
  pauseAfterReplyMs: number;
}

export interface VoiceDoneMessage {
  type: 'done';
  gapsMs: number[];
  premature: number;
  utterances: number;
  /** Per call, from the end of the first words to the greeting's first audio; by how long the first words were. */
  greetingGapsMs: Array<{ gapMs: number; firstWordsMs: number; firstWords: number }>;
  /** Greetings that started while the callee had only paused inside their first words. */
  greetingPremature: number;
  cpuCores: number;
}

interface Frames {
  parts: Buffer[][];
  pauseMs: number;
}

interface Caller {
  socket: Socket;
  decoder: ReturnType<typeof createCodec>;
  target: { host: string; port: number };
  sequencer: RtpSequencer;
  /** 'pause': silent inside an utterance; 'waiting': the utterance is over, the agent's turn. */
  state: 'speaking' | 'pause' | 'waiting' | 'listening';
  lastSpeechAt: number;
  agentQuietSince: number;
  gapsMs: number[];
  premature: number;
  utterances: number;
  next: number;
  /** Saying the first words, or waiting for the greeting (set until the next utterance starts). */
  opening: boolean;
  /** The current pause already counted a premature reply. */
  pauseCounted: boolean;
  firstWordsMs: number;
  /** Which of the first words this caller says. */
  firstWords: number;
  greetingGapsMs: Array<{ gapMs: number; firstWordsMs: number; firstWords: number }>;
  greetingPremature: number;
}

let stopped = false;
let codecName: CodecName = 'g722';

process.on('message', (raw: unknown) => {
  const msg = raw as VoiceStartMessage;
  if (msg.type === 'start') void run(msg);
});

async function run(msg: VoiceStartMessage): Promise<void> {
  codecName = msg.codec;
  const codec = createCodec(msg.codec);
  const perFrame = codec.sampleRate / 50;
  const encode = (pcm16k: number[]): Buffer[] => {
    const pcm = Int16Array.from(pcm16k);
    const source = codec.sampleRate === 8000 ? downsample(pcm) : pcm;
    const out: Buffer[] = [];
    for (let o = 0; o + perFrame <= source.length; o += perFrame) out.push(codec.encode(source.subarray(o, o + perFrame)));
    return out;
  };
  const utterances: Frames[] = msg.utterances.map((u) => ({ parts: u.parts.map(encode), pauseMs: u.pauseMs }));
  const firstWords: Frames[] = msg.firstWords.map((u) => ({ parts: u.parts.map(encode), pauseMs: u.pauseMs }));
  const callers: Caller[] = [];
  for (const [index, target] of msg.targets.entries()) {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const caller: Caller = { socket, decoder: createCodec(msg.codec), target, sequencer: new RtpSequencer({ payloadType: codec.payloadType }), state: 'listening', lastSpeechAt: 0, agentQuietSince: performance.now(), gapsMs: [], premature: 0, utterances: 0, next: index, opening: true, pauseCounted: false, firstWordsMs: 0, firstWords: index % msg.firstWords.length, greetingGapsMs: [], greetingPremature: 0 };
    socket.on('message', (m) => onAgentAudio(caller, m));
    callers.push(caller);
  }
  process.send?.({ type: 'ready', ports: callers.map((c) => ({ port: (c.socket.address() as { port: number }).port })) });

  const start = performance.now();
  const cpu0 = process.cpuUsage();
  // Spread the callers' speech over time, as real callers do not all talk at once.
  callers.forEach((caller, i) =>
    setTimeout(() => say(caller, [firstWords[caller.firstWords]!], start + msg.durationMs, msg.pauseAfterReplyMs, () => say(caller, utterances, start + msg.durationMs, msg.pauseAfterReplyMs)), 500 + ((i * 997) % 3000)),
  );
  await new Promise((r) => setTimeout(r, msg.durationMs + 4000));
  const cpu = process.cpuUsage(cpu0);
  stopped = true;
  const done: VoiceDoneMessage = {
    type: 'done',
    gapsMs: callers.flatMap((c) => c.gapsMs),
    premature: callers.reduce((n, c) => n + c.premature, 0),
    utterances: callers.reduce((n, c) => n + c.utterances, 0),
    greetingGapsMs: callers.flatMap((c) => c.greetingGapsMs),
    greetingPremature: callers.reduce((n, c) => n + c.greetingPremature, 0),
    cpuCores: (cpu.user + cpu.system) / 1000 / (performance.now() - start),
  };
  process.send?.(done);
  for (const c of callers) c.socket.close();
}

function onAgentAudio(caller: Caller, packet: Buffer): void {
  let loud = false;
  try {
    loud = rms(caller.decoder.decode(parseRtpPacket(packet).payload)) > 300;
  } catch {
    return;
  }
  const now = performance.now();
  if (!loud) return;
  caller.agentQuietSince = now + 20;
  if (caller.state === 'pause') {
    // The agent took the floor while the caller was only thinking: a premature reply (once per pause). The caller goes on anyway.
    if (!caller.pauseCounted) {
      if (caller.opening) caller.greetingPremature++;
      else caller.premature++;
    }
    caller.pauseCounted = true;
  } else if (caller.state === 'waiting') {
    if (caller.opening) caller.greetingGapsMs.push({ gapMs: now - caller.lastSpeechAt, firstWordsMs: caller.firstWordsMs, firstWords: caller.firstWords });
    else caller.gapsMs.push(now - caller.lastSpeechAt);
    caller.state = 'listening';
  }
}

/** Says the next of `utterances`, waits for the agent's answer, and goes on with `then` (else the next of them). */
function say(caller: Caller, utterances: Frames[], endAt: number, pauseAfterReplyMs: number, then?: () => void): void {
  if (stopped || performance.now() > endAt) return;
  const opening = then !== undefined;
  const utterance = opening ? utterances[0]! : utterances[caller.next++ % utterances.length]!;
  caller.opening = opening;
  if (!opening) caller.utterances++;
  const frames: Array<Buffer | null> = [];
  utterance.parts.forEach((part, i) => {
    if (i > 0) for (let n = 0; n < utterance.pauseMs / 20; n++) frames.push(null);
    frames.push(...part);
  });
  caller.state = 'speaking';
  const t0 = performance.now();
  let i = 0;
  const tick = () => {
    if (stopped) return;
    // Drift-free 20 ms pacing from the start of the utterance; a pause sends nothing, as Asterisk relays nothing.
    while (i < frames.length && t0 + i * 20 <= performance.now() + 1) {
      const payload = frames[i]!;
      if (payload) {
        if (caller.state === 'pause') caller.state = 'speaking';
        caller.pauseCounted = false;
        caller.socket.send(caller.sequencer.nextPacket(payload, 160), caller.target.port, caller.target.host);
      } else {
        if (caller.state === 'speaking') caller.state = 'pause';
        caller.sequencer.skip(160);
      }
      i++;
    }
    if (i < frames.length) {
      setTimeout(tick, Math.max(0, t0 + i * 20 - performance.now()));
      return;
    }
    caller.lastSpeechAt = t0 + i * 20;
    if (opening) caller.firstWordsMs = i * 20;
    caller.decoder = createCodec(codecName);
    caller.state = 'waiting';
    waitForReply();
  };
  const waitForReply = () => {
    if (stopped) return;
    const now = performance.now();
    // Speak again once the agent has said its piece and paused (or after 6 s without an answer).
    if ((caller.state === 'listening' && now - caller.agentQuietSince >= pauseAfterReplyMs) || now - caller.lastSpeechAt > 6000) {
      if (then) then();
      else say(caller, utterances, endAt, pauseAfterReplyMs);
    } else {
      setTimeout(waitForReply, 50);
    }
  };
  tick();
}
