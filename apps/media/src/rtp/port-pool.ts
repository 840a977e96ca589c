import { createSocket, type Socket } from 'node:dgram';

/**
 * UDP ports for RTP endpoints, handed out round-robin from a range so that a just-released port
 * is not reused at once (late packets of the old call would land in the new one). A port another
 * process holds is skipped.
 */
export class RtpPortPool {
  private readonly inUse = new Set<number>();
  private next: number;

  constructor(
    private readonly host: string,
    private readonly range: { first: number; last: number },
  ) {
    this.next = range.first;
  }

  get size(): number {
    return this.range.last - this.range.first + 1;
  }

  get used(): number {
    return this.inUse.size;
  }

  /** A socket bound to a free port of the range; throws when none is left. */
  async bind(): Promise<{ socket: Socket; port: number }> {
    for (let tries = 0; tries < this.size; tries++) {
      const port = this.next;
      this.next = port >= this.range.last ? this.range.first : port + 1;
      if (this.inUse.has(port)) continue;
      const socket = await tryBind(this.host, port);
      if (!socket) continue;
      this.inUse.add(port);
      socket.once('close', () => this.inUse.delete(port));
      return { socket, port };
    }
    throw new Error(`no free RTP port in ${this.range.first}-${this.range.last}`);
  }
}

function tryBind(host: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4' });
    const onError = () => {
      socket.close();
      resolve(undefined);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}
