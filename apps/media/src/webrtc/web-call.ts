import type { CodecName } from '@parley/audio';
import { type CallEventData, type HangupBy, type MediaWebRtcOffer, type TranscriptSegment, WEB_CALL_CANCEL_CAUSES } from '@parley/common';
import type { z } from 'zod';
import type { Bus, Logger } from '@parley/service-kit';
import { MediaStreamTrack, type RTCDataChannel, RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpSender, type RtpPacket } from 'werift';
import { CallSession, type CallSessionDeps, PLACEMENT_WITHDRAWN } from '../sessions/call-session';
import { PacketSocket } from './packet-socket';

/** The codecs a web call offers the browser, best first: G.722 keeps the 16 kHz band the engine runs at; PCMU is narrowband. */
const CODECS: Array<{ codec: CodecName; params: RTCRtpCodecParameters }> = [
  { codec: 'g722', params: new RTCRtpCodecParameters({ mimeType: 'audio/G722', clockRate: 8000, channels: 1, payloadType: 9 }) },
  { codec: 'ulaw', params: new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }) },
];

/** A browser that answered but whose ICE and DTLS never came up is given up after this long. */
const CONNECT_TIMEOUT_MS = 20_000;

/**
 * The `ended` event of a web call released for `reason`: completed once the browser's media connected; before that,
 * canceled when the page or the API hung up, failed when the browser never connected or the media process stopped.
 */
export function endedEvent(reason: string, connectedAt: Date | null): z.input<(typeof CallEventData)['ended']> {
  const by = hangupBy(reason);
  if (connectedAt) {
    return { status: 'completed', answered: true, answered_at: connectedAt.toISOString(), hangup_cause: `Web call ended (${reason})`, hangup_cause_code: 16, hangup_by: by, error_code: null, error_message: null };
  }
  if (reason === 'caller_hangup' || reason === 'api') {
    return { status: 'canceled', answered: false, answered_at: null, hangup_cause: WEB_CALL_CANCEL_CAUSES[reason], hangup_cause_code: null, hangup_by: by, error_code: null, error_message: null };
  }
  return {
    status: 'failed',
    answered: false,
    answered_at: null,
    hangup_cause: 'The browser never connected (ICE or DTLS did not complete)',
    hangup_cause_code: null,
    hangup_by: by,
    error_code: 'webrtc_not_connected',
    error_message: 'The browser did not establish its media connection',
  };
}

/** How a session's release reason reads as the call's `hangup_by`. */
function hangupBy(reason: string): HangupBy {
  if (reason === 'api') return 'api';
  if (reason === 'caller_hangup') return 'caller';
  if (reason === 'max_duration' || reason === 'media_shutdown' || reason === 'not_connected') return 'system';
  return 'agent';
}

export interface WebCallDeps {
  session: CallSessionDeps;
  bus: Bus;
  logger: Logger;
  ice: { host: string; ports: { first: number; last: number }; publicAddress?: string };
}

/**
 * One web call in the media service: the browser's peer connection (ICE, DTLS-SRTP, werift), its audio on an RTP leg
 * like a phone call's (PacketSocket), and the same conversation (CallSession). With no dialer, it reports the call's
 * lifecycle itself: `answered` when the browser's media is up, and `ended` when the browser leaves, the agent or the
 * API hangs up, the max duration passes, or the browser never connects.
 */
export class WebCall {
  private connectedAt: Date | null = null;
  private timers: NodeJS.Timeout[] = [];
  private ended = false;

  private constructor(
    private readonly offer: MediaWebRtcOffer,
    readonly session: CallSession,
    private readonly pc: RTCPeerConnection,
    private readonly page: PageChannel,
    private readonly deps: WebCallDeps,
  ) {}

  /** Answers the browser's offer (ICE candidates gathered, not trickled) and prepares the session. */
  static async answer(offer: MediaWebRtcOffer, deps: WebCallDeps): Promise<{ call: WebCall; sdp: string }> {
    const peer = await answerPeer(offer.sdp, deps.ice);
    try {
      let call: WebCall | undefined;
      const session = await CallSession.open(offer.call_id, peer.codec, offer.conversation, deps.session, {
        leg: (options) => deps.session.legs.openOn(peer.socket.asSocket(), options),
        onSegment: (segment) => peer.page.send({ type: 'transcript', segment }),
        control: {
          hangup: async () => void call?.end('agent'),
          transfer: async () => {
            throw new Error('a web call cannot be transferred');
          },
          sendDtmf: async () => {
            throw new Error('a web call has no keypad');
          },
        },
      });
      call = new WebCall(offer, session, peer.pc, peer.page, deps);
      call.watch();
      return { call, sdp: peer.sdp };
    } catch (err) {
      await peer.pc.close().catch(() => undefined);
      throw err;
    }
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  private watch(): void {
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') void this.connected();
      else if (state === 'failed' || state === 'closed' || state === 'disconnected') void this.end(this.connectedAt ? 'caller_hangup' : 'not_connected');
    });
    this.timers.push(setTimeout(() => !this.connectedAt && void this.end('not_connected'), CONNECT_TIMEOUT_MS));
    // However the session ends (the API's release comes straight to it), the call's end is reported once.
    void this.session.whenFinished().then(() => this.end(this.session.releasedFor ?? 'agent'));
  }

  private async connected(): Promise<void> {
    if (this.connectedAt || this.ended) return;
    this.connectedAt = new Date();
    this.timers.push(setTimeout(() => void this.end('max_duration'), this.offer.max_duration_seconds * 1000));
    const base = { call_id: this.offer.call_id, account_id: this.offer.conversation.account_id };
    await this.deps.bus.publishCallEvent('answered', base, {}).catch((err) => this.log.error({ err }, 'answered not published'));
    this.log.info({ codec: this.session.codec }, 'web call connected');
    // The page counts the call as connected from this message, not from its own ICE/DTLS state (which is up a
    // moment sooner): a hang-up from then on ends an answered call.
    this.page.send({ type: 'connected' });
    // The browser's leg is up: the agent may speak first (no packet from it needs to arrive first).
    await this.session.attach({ address: 'webrtc', port: 0 });
  }

  /** Ends the call (once): the session (recording, transcript), the peer connection, then the `ended` event. */
  async end(reason: string): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) clearTimeout(t);
    await this.session.release(reason);
    const why = this.session.releasedFor ?? reason;
    if (why === PLACEMENT_WITHDRAWN) {
      // The api gave the browser another media process's answer: this call's end is not ours to report.
      await this.pc.close().catch(() => undefined);
      this.log.info('web call withdrawn: it went to another media process');
      return;
    }
    // Tell the page why before the connection goes (a closed connection alone reads as a network failure there).
    this.page.send({ type: 'ended', reason: why, hangup_by: hangupBy(why) });
    await new Promise((r) => setTimeout(r, 100));
    await this.pc.close().catch(() => undefined);
    const base = { call_id: this.offer.call_id, account_id: this.offer.conversation.account_id };
    await this.deps.bus.publishCallEvent('ended', base, endedEvent(why, this.connectedAt)).catch((err) => this.log.error({ err }, 'ended not published'));
    this.log.info({ reason: why, hangup_by: hangupBy(why) }, 'web call ended');
  }
}

/** A browser's peer connection, answered: its audio as RTP packets on `socket`, its data channel as `page`. */
export interface AnsweredPeer {
  pc: RTCPeerConnection;
  sdp: string;
  codec: CodecName;
  socket: PacketSocket;
  page: PageChannel;
}

/**
 * Answers an offer (ICE host candidates on `ice.host` in `ice.ports`, gathered before answering; DTLS-SRTP; G.722 or
 * PCMU): the peer connection, and the browser's audio and data channel wired to a PacketSocket and a PageChannel.
 */
export async function answerPeer(offerSdp: string, ice: WebCallDeps['ice']): Promise<AnsweredPeer> {
  const pc = new RTCPeerConnection({
    codecs: { audio: CODECS.map((c) => c.params) },
    icePortRange: [ice.ports.first, ice.ports.last],
    iceInterfaceAddresses: { udp4: ice.host },
    iceAdditionalHostAddresses: [ice.host],
    iceUseIpv6: false,
  });
  const track = new MediaStreamTrack({ kind: 'audio' });
  // Packets go straight to the sender (which parses them once) rather than through the track (which parses and
  // clones each first); the sender is set once the offer is applied.
  let sender: RTCRtpSender | undefined;
  const socket = new PacketSocket((packet) => void sender?.sendRtp(packet).catch(() => undefined));
  // The browser's track is announced while the offer is applied: listen first. The leg reads only the fixed header
  // and the payload, so that is all that is written for it (werift's serialize rebuilds every field bit by bit).
  pc.onTrack.subscribe((remote) => remote.onReceiveRtp.subscribe((rtp) => socket.receive(plainRtp(rtp))));
  // The page's data channel ("parley", if it opens one) carries the live transcript and the call's end.
  const page = new PageChannel();
  pc.onDataChannel.subscribe((channel) => page.attach(channel));
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    const transceiver = pc.getTransceivers().find((t) => t.kind === 'audio');
    if (!transceiver) throw new Error('the offer has no audio');
    transceiver.sender.replaceTrack(track);
    sender = transceiver.sender;
    transceiver.setDirection('sendrecv');
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    const local = pc.localDescription?.sdp;
    if (!local) throw new Error('no local description');
    const sdp = ice.publicAddress ? withPublicAddress(local, ice.host, ice.publicAddress) : local;
    return { pc, sdp, codec: negotiatedCodec(sdp), socket, page };
  } catch (err) {
    await pc.close().catch(() => undefined);
    throw err;
  }
}

/** What the media process tells the page on its data channel. */
export type PageMessage = { type: 'connected' } | { type: 'transcript'; segment: TranscriptSegment } | { type: 'ended'; reason: string; hangup_by: HangupBy };

/** Messages kept for a data channel that is not open yet (the call's media connects before the channel opens). */
const PAGE_BACKLOG = 64;

/**
 * The page's data channel: JSON messages. Those sent before it opens (`connected` comes first, as the media connects
 * before SCTP is up) are kept and sent on open, the oldest dropped past PAGE_BACKLOG (the transcript is in the API too).
 */
export class PageChannel {
  private channel: RTCDataChannel | undefined;
  private backlog: string[] = [];

  attach(channel: RTCDataChannel): void {
    if (channel.label !== 'parley') return;
    this.channel = channel;
    channel.stateChanged.subscribe((state) => state === 'open' && this.flush());
    if (channel.readyState === 'open') this.flush();
  }

  send(message: PageMessage): void {
    const data = JSON.stringify(message);
    if (this.channel?.readyState === 'open') {
      this.channel.send(data);
      return;
    }
    this.backlog.push(data);
    if (this.backlog.length > PAGE_BACKLOG) this.backlog.shift();
  }

  private flush(): void {
    for (const data of this.backlog.splice(0)) this.channel!.send(data);
  }
}

/**
 * A 1:1 NAT: each host candidate on `host` is offered again on `publicAddress` with the same port, just after it and
 * at a lower priority (the browser tries the direct address first; the NAT forwards the public one to it).
 */
export function withPublicAddress(sdp: string, host: string, publicAddress: string): string {
  return sdp
    .split('\r\n')
    .flatMap((line) => {
      const m = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ host(.*)$/.exec(line);
      if (!m || m[5] !== host) return [line];
      const [, foundation, component, transport, priority, , port, rest] = m;
      return [line, `a=candidate:${foundation}n ${component} ${transport} ${Number(priority) - 1} ${publicAddress} ${port} typ host${rest}`];
    })
    .join('\r\n');
}

/** Resolves once the peer connection has gathered its ICE candidates (the answer then carries them all). */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
      if (state !== 'complete') return;
      unSubscribe();
      resolve();
    });
  });
}

/** The codec the answer chose: the first payload type of its audio line that we offer. */
function negotiatedCodec(sdp: string): CodecName {
  const types = /^m=audio \d+ \S+ ([\d ]+)/m.exec(sdp)?.[1]?.split(' ').map(Number) ?? [];
  for (const pt of types) {
    const found = CODECS.find((c) => c.params.payloadType === pt);
    if (found) return found.codec;
  }
  throw new Error('the browser offered neither G.722 nor PCMU');
}

/** A received packet as plain RTP for the leg: the fixed 12-byte header (no CSRCs, no extensions) and the payload. */
export function plainRtp(rtp: RtpPacket): Buffer {
  const { header, payload } = rtp;
  const out = Buffer.allocUnsafe(12 + payload.length);
  out[0] = 0x80;
  out[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  out.writeUInt16BE(header.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(header.timestamp >>> 0, 4);
  out.writeUInt32BE(header.ssrc >>> 0, 8);
  payload.copy(out, 12);
  return out;
}

