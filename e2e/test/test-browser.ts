import { createCodec } from '@parley/audio';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';

/** The browser's side: a peer connection sending G.722 from PCM and decoding what the agent sends. */
export class TestBrowser {
  readonly pc = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/G722', clockRate: 8000, channels: 1, payloadType: 9 })] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
  });
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  private readonly encoder = createCodec('g722');
  private readonly decoder = createCodec('g722');
  /** Per packet received from the agent: whether it held speech (none come while the agent is silent: DTX). */
  readonly agentFrames: boolean[] = [];
  /** When the last packet with speech came. */
  private lastSpeechAt = 0;
  /** What the media process said on the page's data channel. */
  readonly messages: any[] = [];
  private seq = 0;
  private ts = 0;

  constructor(private readonly apiUrl: string) {
    const t = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    t.onTrack.subscribe((remote) =>
      remote.onReceiveRtp.subscribe((rtp) => {
        const pcm = this.decoder.decode(rtp.payload);
        let energy = 0;
        for (const s of pcm) energy += s * s;
        const loud = Math.sqrt(energy / pcm.length) > 300;
        this.agentFrames.push(loud);
        if (loud) this.lastSpeechAt = Date.now();
      }),
    );
  }

  async connect(token: string): Promise<Response> {
    const channel = this.pc.createDataChannel('parley');
    channel.onMessage.subscribe((data) => this.messages.push(JSON.parse(String(data))));
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await new Promise<void>((resolve) => {
      if (this.pc.iceGatheringState === 'complete') return resolve();
      this.pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
    });
    const res = await fetch(`${this.apiUrl}/v1/calls/web/connect`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sdp' }, body: this.pc.localDescription!.sdp });
    if (res.status === 201) await this.pc.setRemoteDescription({ type: 'answer', sdp: await res.clone().text() });
    return res;
  }

  /** Speaks `pcm` in real time, 20 ms per packet, then a second of silence. */
  async say(pcm: Int16Array): Promise<void> {
    const frames = Math.ceil(pcm.length / 320) + 50;
    const start = performance.now();
    for (let i = 0; i < frames; i++) {
      const frame = new Int16Array(320);
      frame.set(pcm.subarray(i * 320, Math.min(pcm.length, (i + 1) * 320)));
      this.track.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 9, sequenceNumber: this.seq++ & 0xffff, timestamp: (this.ts += 160) >>> 0, marker: i === 0 }), this.encoder.encode(frame)));
      const due = start + (i + 1) * 20 - performance.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
    }
  }

  /** Waits until the agent has spoken (after packet `from`) and then been quiet for `quietMs`. */
  async agentTurn(from: number, quietMs = 1200, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const spoke = this.agentFrames.slice(from).includes(true);
      if (spoke && Date.now() - this.lastSpeechAt >= quietMs) return this.agentFrames.length;
      if (Date.now() > deadline) throw new Error(`the agent did not finish a turn (${this.agentFrames.slice(from).filter(Boolean).length} speech packets heard)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
