import type { DataSource } from '@parley/db';
import type { Logger } from '@parley/service-kit';

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
 */
export class DialerPresence implements DialerLease {
  private timer: NodeJS.Timeout | undefined;
  private current: string | null = null;
  private lost = false;
  onLost: () => void = () => undefined;

  constructor(
    private readonly ds: DataSource,
    readonly dialerId: string,
    private readonly opts: { heartbeatMs: number; leaseMs: number },
    private readonly logger: Logger,
  ) {}

  get epoch(): string | null {
    return this.current;
  }

  async start(): Promise<void> {
    const [row] = (await this.ds.query(
      `INSERT INTO dialer_instances (dialer_id, started_at, heartbeat_at, epoch, lease_expires_at)
       VALUES ($1, clock_timestamp(), clock_timestamp(), nextval('dialer_lease_epoch_seq'), clock_timestamp() + make_interval(secs => $2::double precision / 1000))
       ON CONFLICT (dialer_id) DO UPDATE SET started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, epoch = EXCLUDED.epoch, lease_expires_at = EXCLUDED.lease_expires_at
       RETURNING epoch::text AS epoch`,
      [this.dialerId, this.opts.leaseMs],
    )) as { epoch: string }[];
    this.current = row!.epoch;
    this.timer = setInterval(() => void this.renew().catch((err: Error) => this.logger.warn({ err }, 'dialer lease renewal failed')), this.opts.heartbeatMs);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    const rows: unknown[] = await this.ds.query(
      `UPDATE dialer_instances SET heartbeat_at = clock_timestamp(), lease_expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
       WHERE dialer_id = $1 AND epoch = $2::bigint AND lease_expires_at > clock_timestamp()
       RETURNING 1`,
      [this.dialerId, this.current, this.opts.leaseMs],
    );
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected].
    const renewed = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length > 0 : rows.length > 0;
    if (renewed) return;
    this.lost = true;
    clearInterval(this.timer);
    this.logger.error({ dialer_id: this.dialerId, epoch: this.current }, 'dialer lease lost (ran out, or a newer process with this DIALER_ID took it): this dialer stops acting on calls');
    this.onLost();
  }

  /** Dialers whose lease runs (this one included). */
  async liveDialers(): Promise<Set<string>> {
    const rows: { dialer_id: string }[] = await this.ds.query(`SELECT dialer_id FROM dialer_instances WHERE lease_expires_at > clock_timestamp()`);
    return new Set(rows.map((r) => r.dialer_id));
  }

  /** Stops renewing; `leave` also gives the lease up so that others take over this dialer's calls at once. */
  async stop(leave: boolean): Promise<void> {
    clearInterval(this.timer);
    if (leave) await this.ds.query(`DELETE FROM dialer_instances WHERE dialer_id = $1 AND epoch = $2::bigint`, [this.dialerId, this.current]).catch(() => undefined);
  }

  /** Forgets dialers gone for a day (their rows only matter while their calls might be live). */
  async prune(): Promise<void> {
    await this.ds.query(`DELETE FROM dialer_instances WHERE lease_expires_at < clock_timestamp() - interval '1 day'`);
  }
}
