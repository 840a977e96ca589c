import { createSocket, type Socket } from 'node:dgram';
import { RtpSequencer, parseRtpPacket, serializeRtpPacket } from '@parley/audio';
import { createLegCodec, type ExternalMediaFormat, type LegCodec } from './codec';

export interface RtpLegStats {
  rxPackets: number;
  rxDropped: number;
  txPackets: number;
  rxPayloadTypes: Record<number, number>;
}

/**
 * The UDP side of an ExternalMedia (UnicastRTP) channel: like Asterisk it sends from and
 * receives on one local port (UNICASTRTP_LOCAL_ADDRESS/PORT), sends to external_host, and
 * sends no RTCP.
 */
export class ExternalMediaLeg {
  readonly stats: RtpLegStats = { rxPackets: 0, rxDropped: 0, txPackets: 0, rxPayloadTypes: {} };
  private readonly socket: Socket;
  private readonly codec: LegCodec;
  private readonly sequencer: RtpSequencer;
  private closed = false;

  private constructor(
    socket: Socket,
    readonly format: ExternalMediaFormat,
    readonly remote: { address: string; port: number },
    private readonly onAudio: (pcm16k: Int16Array) => void,
  ) {
    this.socket = socket;
    this.codec = createLegCodec(format);
    this.sequencer = new RtpSequencer({ payloadType: this.codec.payloadType });
    socket.on('message', (msg) => this.receive(msg));
    socket.on('error', () => undefined);
  }

  static async open(options: {
    bindAddress: string;
    format: ExternalMediaFormat;
    remote: { address: string; port: number };
    onAudio: (pcm16k: Int16Array) => void;
  }): Promise<ExternalMediaLeg> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.bindAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new ExternalMediaLeg(socket, options.format, options.remote, options.onAudio);
  }

  get local(): { address: string; port: number } {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Sends 20 ms of 16 kHz PCM as one RTP packet. */
  send(pcm16k: Int16Array): void {
    if (this.closed) return;
    const payload = this.codec.encode(pcm16k);
    const header = this.sequencer.next(this.codec.timestampUnits(payload.length));
    this.socket.send(serializeRtpPacket(header, payload), this.remote.port, this.remote.address);
    this.stats.txPackets++;
  }

  private receive(msg: Buffer): void {
    let packet;
    try {
      packet = parseRtpPacket(msg);
    } catch {
      this.stats.rxDropped++;
      return;
    }
    this.stats.rxPackets++;
    const pt = packet.header.payloadType;
    this.stats.rxPayloadTypes[pt] = (this.stats.rxPayloadTypes[pt] ?? 0) + 1;
    if (pt !== this.codec.payloadType) {
      this.stats.rxDropped++;
      return;
    }
    const pcm = this.codec.decode(Buffer.from(packet.payload));
    if (!pcm) {
      this.stats.rxDropped++;
      return;
    }
    this.onAudio(pcm);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}
