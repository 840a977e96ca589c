import type { MediaLoad } from '@parley/common';

/** A media process silent for this many of its own advert intervals is forgotten (dead, hung, or cut off). */
export const FORGET_AFTER_INTERVALS = 3;
/** CPU figures closer than this (cores) are the same load: two samples of one interval differ by more than that. */
const CPU_STEP = 0.1;

interface KnownProcess {
  advert: MediaLoad;
  heardAt: number;
  /** Our requests to it that have not been answered yet. */
  inFlight: number;
  /** Calls it took from us since its last advert, which did not count them yet. */
  placedSince: number;
  /** It refused us since its last advert: full, whatever that advert said. */
  refused: boolean;
}

/**
 * The latest load advert of every media process heard from lately, as one placer sees it: its own requests in
 * flight and the calls it placed since a process last advertised count at once, so a burst of calls from one
 * dialer spreads out before the adverts catch up.
 */
export class MediaLoads {
  private readonly known = new Map<string, KnownProcess>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(opts: { now?: () => number; random?: () => number } = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
  }

  heard(advert: MediaLoad): void {
    const before = this.known.get(advert.media_id);
    this.known.set(advert.media_id, { advert, heardAt: this.now(), inFlight: before?.inFlight ?? 0, placedSince: 0, refused: false });
  }

  /** It is gone (no one answers on its subject): skipped until it advertises again. */
  forget(mediaId: string): void {
    this.known.delete(mediaId);
  }

  /**
   * Whether it advertised within its last three intervals (accepting calls or not): false once it is forgotten, and
   * false if `startedAt` is given and its adverts now come from another start of it (restarted under the same id).
   */
  heardFrom(mediaId: string, startedAt?: string): boolean {
    this.forgetSilent();
    const advert = this.known.get(mediaId)?.advert;
    return !!advert && (startedAt === undefined || advert.started_at === undefined || advert.started_at === startedAt);
  }

  /** The start its latest advert gives (undefined if forgotten, or from a media process older than that field). */
  startedAt(mediaId: string): string | undefined {
    return this.known.get(mediaId)?.advert.started_at;
  }

  /** Processes heard from lately that take calls, in the order to ask them: least loaded first, ties in random order. */
  candidates(): string[] {
    this.forgetSilent();
    const ranked = [...this.known.values()]
      .filter((p) => p.advert.accepting)
      .map((p) => ({ id: p.advert.media_id, key: [this.share(p), Math.round(p.advert.cpu / CPU_STEP), lateness(p.advert.rtp_late_frames), this.random()] }));
    ranked.sort((a, b) => compareKeys(a.key, b.key));
    return ranked.map((r) => r.id);
  }

  /** How many processes take calls now. */
  get accepting(): number {
    this.forgetSilent();
    return [...this.known.values()].filter((p) => p.advert.accepting).length;
  }

  asked(mediaId: string): void {
    const p = this.known.get(mediaId);
    if (p) p.inFlight++;
  }

  answered(mediaId: string, outcome: 'placed' | 'refused' | 'failed'): void {
    const p = this.known.get(mediaId);
    if (!p) return;
    p.inFlight = Math.max(0, p.inFlight - 1);
    if (outcome === 'placed') p.placedSince++;
    if (outcome === 'refused') p.refused = true;
  }

  /** Its share of its capacity in use, counting our own calls its advert does not show yet; 1 or more is full. */
  private share(p: KnownProcess): number {
    const share = (p.advert.sessions + p.inFlight + p.placedSince) / p.advert.capacity;
    return p.refused ? Math.max(1, share) : share;
  }

  private forgetSilent(): void {
    const now = this.now();
    for (const [id, p] of this.known) if (now - p.heardAt > FORGET_AFTER_INTERVALS * p.advert.interval_ms) this.known.delete(id);
  }
}

/** Late frames by order of magnitude: none, a few, tens, hundreds... */
function lateness(frames: number): number {
  return Math.ceil(Math.log2(1 + frames));
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
