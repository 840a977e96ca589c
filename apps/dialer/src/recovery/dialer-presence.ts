import type { DataSource } from '@parley/db';
import type { Logger } from '@parley/service-kit';
import type { DialerMetrics } from '../metrics/dialer-metrics';

/** SQL condition: dialer `$me` still holds its lease with epoch `$epoch` (the fence of ownership-changing writes). */
export function holdsLease(me: string, epoch: string): string {
  return `EXISTS (SELECT 1 FROM dialer_instances l WHERE l.dialer_id = ${me} AND l.epoch = ${epoch}::bigint AND l.lease_expires_at > clock_timestamp())`;
}

/** This dialer's lease, for the writes that must be fenced by it. */
export interface DialerLease {
  readonly dialerId: string;
  /** The epoch taken at start; null before start. */
  readonly epoch: string | null;
}

/**
 * This dialer's ownership lease in `dialer_instances`: a row with an expiry that the heartbeat pushes forward, and an
 * epoch drawn from a sequence when the dialer starts. Others read it to know whether the calls and trunk slots this
 * one holds are still looked after; once it runs out, they adopt its calls and free its slots.
 *
 * Starting takes a new epoch even when the row exists: a restarted dialer with the same DIALER_ID owns its calls again
 * at once, and the process it replaces (if it still runs, stalled) is fenced: its renewals and ownership writes name
 * the old epoch and fail. A renewal also fails once the lease has run out (others may have adopted the calls), and
 * then `onLost` tells the dialer to stop acting.
 *
 * The lease runs on its own connection (`LEASE_DATA_SOURCE`), not the pool every call's queries share: a burst of
 * dispatches queues hundreds of queries there, and a renewal waiting behind them let a healthy dialer's lease run out.
 * Renewals never overlap: the next one is scheduled once the previous one is done.
 */
export class DialerPresence implements DialerLease {
  private timer: NodeJS.Timeout | undefined;
  private current: string | null = null;
  private lost = false;
  private stopped = false;
  onLost: () => void = () => undefined;

  constructor(
    /** The lease's own connection, apart from the pool of call traffic. */
    private readonly leaseDb: DataSource,
    readonly dialerId: string,
    private readonly opts: { heartbeatMs: number; leaseMs: number },
    private readonly logger: Logger,
    private readonly metrics?: Pick<DialerMetrics, 'leaseRenewal'>,
  ) {}

  get epoch(): string | null {
    return this.current;
  }

  async start(): Promise<void> {
    const [row] = (await this.leaseDb.query(
      `INSERT INTO dialer_instances (dialer_id, started_at, heartbeat_at, epoch, lease_expires_at)
       VALUES ($1, clock_timestamp(), clock_timestamp(), nextval('dialer_lease_epoch_seq'), clock_timestamp() + make_interval(secs => $2::double precision / 1000))
       ON CONFLICT (dialer_id) DO UPDATE SET started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, epoch = EXCLUDED.epoch, lease_expires_at = EXCLUDED.lease_expires_at
       RETURNING epoch::text AS epoch`,
      [this.dialerId, this.opts.leaseMs],
    )) as { epoch: string }[];
    this.current = row!.epoch;
    this.schedule(this.opts.heartbeatMs);
  }

  /** The next renewal, `delayMs` from now; each one schedules the next when it is done, so they never overlap. */
  private schedule(delayMs: number): void {
    if (this.stopped || this.lost) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.renew()
        .catch((err: Error) => this.logger.warn({ err }, 'dialer lease renewal failed'))
        .finally(() => this.schedule(Math.max(0, this.opts.heartbeatMs - (Date.now() - started))));
    }, delayMs);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    const started = process.hrtime.bigint();
    let result = 'error';
    try {
      const rows: unknown[] = await this.leaseDb.query(
        `UPDATE dialer_instances SET heartbeat_at = clock_timestamp(), lease_expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
         WHERE dialer_id = $1 AND epoch = $2::bigint AND lease_expires_at > clock_timestamp()
         RETURNING 1`,
        [this.dialerId, this.current, this.opts.leaseMs],
      );
      // TypeORM answers an UPDATE ... RETURNING with [rows, affected].
      const renewed = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length > 0 : rows.length > 0;
      result = renewed ? 'renewed' : 'lost';
    } finally {
      this.metrics?.leaseRenewal.observe({ result }, Number(process.hrtime.bigint() - started) / 1e9);
    }
    if (result === 'renewed') return;
    this.lost = true;
    clearTimeout(this.timer);
    this.logger.error({ dialer_id: this.dialerId, epoch: this.current }, 'dialer lease lost (ran out, or a newer process with this DIALER_ID took it): this dialer stops acting on calls');
    this.onLost();
  }

  /** Stops renewing; `leave` also gives the lease up so that others take over this dialer's calls at once. */
  async stop(leave: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (leave) await this.leaseDb.query(`DELETE FROM dialer_instances WHERE dialer_id = $1 AND epoch = $2::bigint`, [this.dialerId, this.current]).catch(() => undefined);
  }

  /** Forgets dialers gone for a day (their rows only matter while their calls might be live). */
  async prune(): Promise<void> {
    await this.leaseDb.query(`DELETE FROM dialer_instances WHERE lease_expires_at < clock_timestamp() - interval '1 day'`);
  }
}

/** Dialers whose lease runs. */
export async function liveDialers(ds: DataSource): Promise<Set<string>> {
  const rows: { dialer_id: string }[] = await ds.query(`SELECT dialer_id FROM dialer_instances WHERE lease_expires_at > clock_timestamp()`);
  return new Set(rows.map((r) => r.dialer_id));
}
