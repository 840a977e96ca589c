/**
 * How far the simulator lets ARI events and HTTP responses drift apart. Real Asterisk gives no order between the
 * WebSocket and the REST answers, and the dialer must cope; every latitude taken here was measured on Asterisk
 * 22.10.1 (fixtures/asterisk-22/README.md and its races/ folder). `orderly` keeps the order of the first recorded
 * traces, for the few tests that need determinism; `adversarial` (the default) draws every gap from a seeded PRNG,
 * so a failing run can be replayed with the seed it logged.
 */
export const SIM_ORDERINGS = ['adversarial', 'orderly'] as const;
export type SimOrdering = (typeof SIM_ORDERINGS)[number];

/** Share of ExternalMedia StasisStarts that came after the POST response: races/race-externalmedia.json, 68 of 100. */
const STASIS_START_AFTER_RESPONSE = 0.68;
/**
 * How late such a StasisStart comes after the response. The probe only says "after the response, and after an
 * addChannel round trip in 3 of 100 (14 of 100 on a busier machine)": StasisStart falls further behind as Asterisk gets
 * busier. Our choice: most within 0-30 ms (several round trips on an idle host), a quarter within 30-300 ms for the busy
 * Asterisk, so that acting on the response alone fails even when the client's own round trips are slow (a loaded
 * test machine), while a client that waits for StasisStart waits at most ~0.3 s.
 */
const STASIS_START_LATE_MS = { near: 30, busyShare: 0.25, busy: 300 };
/** ChannelCreated landed up to ~50 ms before POST /channels returned (README, "Events and HTTP responses are not ordered"). */
const RESPONSE_LEAD_MAX_MS = 50;
/**
 * An answered originated channel: ChannelStateChange Up, then StasisStart (races/originate-order.json, 10 of 10),
 * with a ChannelVarset between them; a few ms apart.
 */
const UP_TO_STASIS_START_MAX_MS = 10;

export class EventOrdering {
  private state: number;

  constructor(
    readonly mode: SimOrdering,
    readonly seed: number,
    /** Fixed response lead (earlyEventLeadMs); when absent, orderly uses 15 ms and adversarial draws 1-50 ms. */
    private readonly fixedLeadMs?: number,
  ) {
    this.state = seed >>> 0;
  }

  /** A seed for runs that name none, logged so that the run can be repeated. */
  static randomSeed(): number {
    return Math.floor(Math.random() * 2 ** 32);
  }

  /** mulberry32: small, fast and reproducible; quality is not a concern for scheduling jitter. */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  private uniform(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  /** How long POST /channels and /channels/externalMedia hold their response after the first events went out. */
  responseLeadMs(): number {
    if (this.fixedLeadMs !== undefined) return this.fixedLeadMs;
    return this.mode === 'orderly' ? 15 : this.uniform(1, RESPONSE_LEAD_MAX_MS);
  }

  /**
   * When an ExternalMedia channel enters Stasis, relative to its POST handler: `null` at once (before the response),
   * otherwise this many ms later, which is after the response held `responseLeadMs`.
   */
  externalMediaStasisDelayMs(responseLeadMs: number): number | null {
    if (this.mode === 'orderly' || this.random() >= STASIS_START_AFTER_RESPONSE) return null;
    const { near, busyShare, busy } = STASIS_START_LATE_MS;
    const late = this.random() < busyShare ? this.uniform(near, busy) : this.uniform(0, near);
    return responseLeadMs + 1 + late;
  }

  /** A far peer's answer time to OPTIONS: 20 ms, or 15-40 ms drawn. */
  qualifyRoundTripMs(): number {
    return this.mode === 'orderly' ? 20 : this.uniform(15, 40);
  }

  /** Gap between an originated channel's ChannelStateChange Up and its StasisStart (`null`: same instant). */
  upToStasisStartMs(): number | null {
    return this.mode === 'orderly' ? null : this.uniform(1, UP_TO_STASIS_START_MAX_MS);
  }
}

/** The ordering from options, else SIM_ORDERING / SIM_SEED, else adversarial with a fresh seed. */
export function orderingFrom(
  options: { ordering?: SimOrdering; seed?: number; earlyEventLeadMs?: number },
  env: NodeJS.ProcessEnv = process.env,
): EventOrdering {
  const mode = options.ordering ?? parseOrdering(env.SIM_ORDERING);
  const seed = options.seed ?? parseSeed(env.SIM_SEED) ?? EventOrdering.randomSeed();
  return new EventOrdering(mode, seed, options.earlyEventLeadMs);
}

function parseOrdering(raw: string | undefined): SimOrdering {
  if (raw === undefined || raw === '') return 'adversarial';
  if ((SIM_ORDERINGS as readonly string[]).includes(raw)) return raw as SimOrdering;
  throw new Error(`SIM_ORDERING must be one of ${SIM_ORDERINGS.join(', ')} (got '${raw}')`);
}

function parseSeed(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`SIM_SEED must be an integer in [0, 2^32) (got '${raw}')`);
  return seed;
}
