import { EventEmitter } from 'node:events';
import type { RemoteInfo, Socket } from 'node:dgram';

/** Where a browser's packets appear to come from: WebRTC has no address the RTP leg needs to latch onto. */
const BROWSER: RemoteInfo = { address: 'webrtc', family: 'IPv4', port: 0, size: 0 };

/**
 * The datagram socket an RTP leg (RtpSession) sends and receives on, with the peer connection behind it instead of a
 * UDP port: plain RTP packets go to `send` (the peer connection protects them with SRTP on its ICE transport) and
 * come back through `receive` once decrypted. So a web call's audio runs through the same jitter buffer, codec,
 * pacing and DTX as a phone leg's.
 */
export class PacketSocket extends EventEmitter {
  private closed = false;

  constructor(
    private readonly sendPacket: (packet: Buffer) => void,
    private readonly port = 0,
  ) {
    super();
  }

  /** A packet from the browser, decrypted. */
  receive(packet: Buffer): void {
    if (!this.closed) this.emit('message', packet, { ...BROWSER, size: packet.length });
  }

  address(): { address: string; family: string; port: number } {
    return { address: BROWSER.address, family: BROWSER.family, port: this.port };
  }

  /** Nothing to connect: the peer connection already knows where the browser is. */
  connect(_port: number, _address: string, callback?: () => void): void {
    if (callback) queueMicrotask(callback);
  }

  send(packet: Buffer): void {
    if (!this.closed) this.sendPacket(packet);
  }

  close(): void {
    this.closed = true;
    this.removeAllListeners('message');
  }

  /** As the RTP leg sees it. */
  asSocket(): Socket {
    return this as unknown as Socket;
  }
}
