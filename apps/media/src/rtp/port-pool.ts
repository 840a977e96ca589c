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
    readonly host: string,
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

  /**
   * The next free port that `open` manages to bind (it returns undefined when the port is taken);
   * `release` gives the port back. Throws when none is left.
   */
  async claim<T>(open: (host: string, port: number) => T | undefined | Promise<T | undefined>): Promise<{ value: T; port: number; release: () => void }> {
    for (let tries = 0; tries < this.size; tries++) {
      const port = this.next;
      this.next = port >= this.range.last ? this.range.first : port + 1;
      if (this.inUse.has(port)) continue;
      const value = await open(this.host, port);
      if (value === undefined) continue;
      this.inUse.add(port);
      return { value, port, release: () => this.inUse.delete(port) };
    }
    throw new Error(`no free RTP port in ${this.range.first}-${this.range.last}`);
  }

  /** A dgram socket bound to a free port of the range (released when the socket closes). */
  async bind(): Promise<{ socket: Socket; port: number }> {
    const { value: socket, port, release } = await this.claim(tryBind);
    socket.once('close', release);
    return { socket, port };
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
