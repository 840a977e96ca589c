import { createSocket, type Socket } from 'node:dgram';
import { parseRtpPacket, serializeRtpPacket, RtpSequencer, type RtpHeader } from '@parley/audio';

export interface ReceivedPacket {
  header: RtpHeader;
  payload: Buffer;
  from: string;
  at: number;
}

/** The media service's side of an ExternalMedia channel, for tests: one UDP socket, symmetric. */
export class RtpPeer {
  readonly packets: ReceivedPacket[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (msg, rinfo) => {
      const packet = parseRtpPacket(msg);
      this.packets.push({ header: packet.header, payload: Buffer.from(packet.payload), from: `${rinfo.address}:${rinfo.port}`, at: performance.now() });
    });
  }

  static async open(): Promise<RtpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return new RtpPeer(socket);
  }

  get hostPort(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  /** Sends payloads paced at 20 ms from this socket. */
  async sendPaced(to: { address: string; port: number }, payloadType: number, payloads: Buffer[], tsStep = 160): Promise<void> {
    const seq = new RtpSequencer({ payloadType });
    const start = performance.now();
    for (let i = 0; i < payloads.length; i++) {
      const due = start + i * 20;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.socket.send(serializeRtpPacket(seq.next(tsStep), payloads[i]!), to.port, to.address);
    }
  }

  async waitForPackets(count: number, timeoutMs = 15_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.packets.length < count) {
      if (performance.now() > deadline) throw new Error(`only ${this.packets.length} of ${count} RTP packets arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}
