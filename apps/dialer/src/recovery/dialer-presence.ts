import type { DataSource } from '@parley/db';
import type { Logger } from '@parley/service-kit';

/**
 * This dialer's heartbeat in `dialer_instances`. Other dialers read it to know whether the calls and trunk slots
 * this one holds are still looked after; when it stops beating, they adopt its calls and free its slots.
 */
export class DialerPresence {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly dialerId: string,
    private readonly opts: { heartbeatMs: number; deadAfterMs: number },
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch((err: Error) => this.logger.warn({ err }, 'dialer heartbeat failed')), this.opts.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    await this.ds.query(
      `INSERT INTO dialer_instances (dialer_id, started_at, heartbeat_at) VALUES ($1, clock_timestamp(), clock_timestamp())
       ON CONFLICT (dialer_id) DO UPDATE SET heartbeat_at = clock_timestamp()`,
      [this.dialerId],
    );
  }

  /** Dialers whose heartbeat is recent (this one included). */
  async liveDialers(): Promise<Set<string>> {
    const rows: { dialer_id: string }[] = await this.ds.query(
      `SELECT dialer_id FROM dialer_instances WHERE heartbeat_at > clock_timestamp() - make_interval(secs => $1::double precision / 1000)`,
      [this.opts.deadAfterMs],
    );
    return new Set(rows.map((r) => r.dialer_id));
  }

  /** Stops beating; `leave` also removes the row so that others take over this dialer's calls at once. */
  async stop(leave: boolean): Promise<void> {
    clearInterval(this.timer);
    if (leave) await this.ds.query(`DELETE FROM dialer_instances WHERE dialer_id = $1`, [this.dialerId]).catch(() => undefined);
  }

  /** Forgets dialers gone for a day (their rows only matter while their calls might be live). */
  async prune(): Promise<void> {
    await this.ds.query(`DELETE FROM dialer_instances WHERE heartbeat_at < clock_timestamp() - interval '1 day'`);
  }
}
