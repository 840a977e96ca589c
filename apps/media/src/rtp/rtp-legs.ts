import type { Socket } from 'node:dgram';
import { FrameClock, RtpEngine, type RtpEnginePriority, type RtpEngineStats } from '@parley/audio';
import { NativeRtpLeg } from './native-rtp-leg';
import { RtpPortPool } from './port-pool';
import type { RtpLeg, RtpLegOptions } from './rtp-leg';
import { RtpSession } from './rtp-session';

export type RtpEngineName = 'native' | 'js';

export interface RtpLegsOptions {
  /** native: the engine thread paces every leg's outgoing audio; js: the event loop does (FrameClock). */
  engine: RtpEngineName;
  priority: RtpEnginePriority;
  /** The native engine's pacing threads (2: one per CPU, either sends a frame). */
  threads?: number;
  host: string;
  ports: { first: number; last: number };
  logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** How often the native legs' caller side runs: packets in, jitter buffers out, what was sent back (ms). */
const PUMP_MS = 10;

/**
 * The process's RTP legs, on the engine it was configured with: the native engine when it is
 * built (else, with a warning, the event loop's FrameClock), ports from the configured range.
 * For native legs it runs one pump for all of them every 10 ms: every datagram that arrived goes
 * to its leg's jitter buffer, then each leg plays out the caller's audio of the time that passed
 * and collects what the engine sent.
 */
export class RtpLegs {
  readonly engine: RtpEngineName;
  /** How outgoing frames are scheduled: the engine thread's priority, or the event loop. */
  readonly scheduling: string;
  private readonly native: RtpEngine | undefined;
  private readonly clock: FrameClock | undefined;
  private readonly pool: RtpPortPool;
  private readonly legs = new Map<number, NativeRtpLeg>();
  private pumpTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RtpLegsOptions) {
    this.pool = new RtpPortPool(options.host, options.ports);
    if (options.engine === 'native' && RtpEngine.unavailable) {
      options.logger.warn({ reason: RtpEngine.unavailable }, 'native RTP engine unavailable: outgoing audio is paced by the event loop, and frames can be late under load');
    }
    if (options.engine === 'native' && !RtpEngine.unavailable) {
      this.engine = 'native';
      this.native = new RtpEngine({ priority: options.priority, threads: options.threads });
      this.scheduling = this.native.scheduling;
    } else {
      this.engine = 'js';
      this.clock = new FrameClock({ onError: (err) => options.logger.error({ err }, 'rtp frame or caller audio handling failed') });
      this.scheduling = 'event loop';
    }
  }

  /** The native engine thread's timekeeping, when there is one. */
  get engineStats(): RtpEngineStats | undefined {
    return this.native?.stats;
  }

  /**
   * A leg on a socket of the caller's (a web call's PacketSocket, its packets carried by the peer connection), paced
   * by the event loop's clock whichever engine phone legs use.
   */
  openOn(socket: Socket, leg: RtpLegOptions): RtpLeg {
    return new RtpSession({ ...leg, socket, clock: this.clock });
  }

  /** A leg on a free port of the range. */
  async open(leg: RtpLegOptions): Promise<RtpLeg> {
    const native = this.native;
    if (!native) {
      const { socket } = await this.pool.bind();
      return new RtpSession({ ...leg, socket, clock: this.clock });
    }
    const { value: stream, release } = await this.pool.claim((host, port) => {
      try {
        return native.open({ host, port, codec: leg.codec, dtx: leg.dtx, echo: leg.onAgentAudio !== undefined });
      } catch (err) {
        if (['EADDRINUSE', 'EACCES'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
        throw err;
      }
    });
    const created = new NativeRtpLeg(stream, leg.codec, leg, () => {
      this.legs.delete(stream.id);
      release();
      if (this.legs.size === 0) this.stopPump();
    });
    this.legs.set(stream.id, created);
    this.pumpTimer ??= setInterval(this.pump, PUMP_MS);
    return created;
  }

  /** Stops the engine thread (the legs' sockets close with it). */
  close(): void {
    this.stopPump();
    this.native?.close();
  }

  private readonly pump = () => {
    const legs = this.legs;
    this.native!.receive((datagram) => legs.get(datagram.streamId)?.receive(datagram));
    const now = performance.now();
    for (const leg of legs.values()) {
      try {
        leg.pump(now);
      } catch (err) {
        this.options.logger.error({ err, port: leg.port }, 'caller audio handling failed');
      }
    }
  };

  private stopPump(): void {
    clearInterval(this.pumpTimer);
    this.pumpTimer = undefined;
  }
}
