import { type CodecName, ipv4ToString, type ReceivedDatagram, type RtpEngineStream, type RtpStreamPoll, type RtpStreamStats } from '@parley/audio';
import type { AgentAudioOut } from '../conversation/playout';
import { CallerAudio, type RtpRemote, UNITS_PER_MS } from './caller-audio';
import type { RtpLeg, RtpLegEvents, RtpLegStats } from './rtp-leg';

/** Pumps between polls of the engine while the agent is silent. */
const IDLE_POLL_EVERY = 5;

/**
 * The agent's audio of a native leg: handed to the engine as it comes, which plays it out on its
 * own thread; what went out is learnt from the leg's polls.
 */
class EnginePlayout implements AgentAudioOut {
  private queued = 0;
  private nextMark = 1;
  /** Marks below this were written before the last clear: once a poll has passed, they never go out. */
  private staleBelow = 1;
  private readonly marks = new Map<number, (sentAt: number) => void>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly stream: RtpEngineStream,
    /** Collects what the engine did so far (marks that went out fire first). */
    private readonly poll: () => void,
  ) {}

  get playing(): boolean {
    return this.queued > 0;
  }

  push(pcm: Int16Array, onFirstOut?: (sentAt: number) => void): void {
    if (pcm.length === 0) {
      onFirstOut?.(performance.now());
      return;
    }
    let id = 0;
    if (onFirstOut) {
      id = this.nextMark++;
      this.marks.set(id, onFirstOut);
    }
    this.queued += pcm.length;
    this.stream.write(pcm, id);
  }

  clear(): void {
    // What already went out counts as played (the caller heard the start of that sentence).
    this.poll();
    this.stream.flush();
    this.staleBelow = this.nextMark;
    this.queued = 0;
    this.notifyIdle();
  }

  drained(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** A poll's news: marks that went out, and how much is still queued. */
  update(poll: RtpStreamPoll): void {
    for (const mark of poll.marks) {
      const onFirstOut = this.marks.get(mark.id);
      this.marks.delete(mark.id);
      onFirstOut?.(mark.sentAt);
    }
    for (const id of this.marks.keys()) if (id < this.staleBelow) this.marks.delete(id);
    this.queued = poll.queuedSamples;
    if (this.queued === 0) this.notifyIdle();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * An RTP leg whose outgoing audio the native engine paces, encodes and sends on its own thread.
 * The caller's side stays here: the leg's owner hands it the datagrams the engine received, and
 * `pump()` plays the time that passed out of the jitter buffer and collects what the engine sent.
 */
export class NativeRtpLeg implements RtpLeg {
  readonly playout: EnginePlayout;
  readonly port: number;
  private readonly caller: CallerAudio;
  private remoteAddress: RtpRemote | undefined;
  private startedAt: number | undefined;
  private unitsPlayed = 0;
  private out: RtpStreamStats = { packetsOut: 0, ticks: 0, lateFrames: 0, maxLatenessMs: 0, suppressed: 0, skipped: 0, sendErrors: 0, echoDropped: 0 };
  private pumps = 0;
  /** The source of the last datagram, reused while it does not change. */
  private lastFrom: { address: number; port: number; remote: RtpRemote } | undefined;
  private closed = false;

  constructor(
    private readonly stream: RtpEngineStream,
    readonly codec: CodecName,
    private readonly events: RtpLegEvents,
    private readonly onClosed?: () => void,
  ) {
    this.port = stream.port;
    this.playout = new EnginePlayout(stream, () => this.collectSent());
    this.caller = new CallerAudio({
      codec,
      onAudio: events.onAudio,
      onSource: (remote) => {
        const known = this.remoteAddress !== undefined;
        this.remoteAddress = remote;
        // Latched: the socket is connected to Asterisk from now on.
        this.stream.setRemote(remote, true);
        if (!known) this.events.onRemote?.(remote);
      },
      onPtime: (ms) => this.stream.setPtime(ms),
    });
  }

  get remote(): RtpRemote | undefined {
    return this.remoteAddress;
  }

  get ptimeMs(): number {
    return this.stream.ptimeMs;
  }

  get stats(): RtpLegStats {
    const o = this.out;
    return { packetsOut: o.packetsOut, ticks: o.ticks, lateFrames: o.lateFrames, maxLatenessMs: o.maxLatenessMs, packetsSuppressed: o.suppressed, ...this.caller.stats };
  }

  get jitterStats() {
    return this.caller.jitterStats;
  }

  start(): void {
    if (this.closed || this.startedAt !== undefined) return;
    this.startedAt = performance.now();
    this.stream.start();
  }

  setRemote(remote: RtpRemote): void {
    if (this.remoteAddress || this.closed) return;
    this.remoteAddress = remote;
    this.stream.setRemote(remote, false);
    this.events.onRemote?.(remote);
  }

  /** A datagram the engine received for this leg. */
  receive(datagram: ReceivedDatagram): void {
    if (this.closed) return;
    let from = this.lastFrom;
    if (!from || from.address !== datagram.address || from.port !== datagram.port) {
      from = { address: datagram.address, port: datagram.port, remote: { address: ipv4ToString(datagram.address), port: datagram.port } };
      this.lastFrom = from;
    }
    this.caller.receive(datagram.data, from.remote, datagram.arrivedAt);
  }

  /** Plays the caller's audio up to `now` (performance.now() ms) and collects what the engine sent. */
  pump(now: number): void {
    if (this.closed) return;
    if (this.startedAt !== undefined) {
      // Drift-free: the caller's audio keeps the wall clock's pace, whatever the pump's.
      const due = Math.floor((now - this.startedAt) * UNITS_PER_MS);
      if (due > this.unitsPlayed) {
        this.caller.play(due - this.unitsPlayed);
        this.unitsPlayed = due;
      }
    }
    // While the agent talks, every pump (first audio out, drained); otherwise every 50 ms is
    // enough for the recording's echo (the engine keeps 2 s of it) and the stats.
    if (this.playout.playing || ++this.pumps % IDLE_POLL_EVERY === 0) this.collectSent();
  }

  close(): void {
    if (this.closed) return;
    this.collectSent();
    this.closed = true;
    this.stream.close();
    this.onClosed?.();
  }

  private collectSent(): void {
    if (this.closed) return;
    const poll = this.stream.poll();
    if (poll.trimBefore > 0) this.events.onAgentAudioTrim?.(poll.trimBefore);
    if (poll.sent.length > 0) this.events.onAgentAudio?.(poll.sent);
    const late = poll.stats.lateFrames - this.out.lateFrames;
    this.out = { ...poll.stats };
    if (late > 0) this.events.onLateFrames?.(late);
    this.playout.update(poll);
  }
}
