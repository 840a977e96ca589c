import { DbRepository } from './db-repository';

/**
 * The dialers' ownership leases (`dialer_instances`): one row per DIALER_ID with the time its lease runs out and the
 * epoch its current process drew at start. A dialer is alive while its lease runs; a restart with the same id takes a
 * new epoch, so the process it replaces can no longer renew (see TrunkSlotsRepository.adopt for the writes it fences).
 */
export class DialerInstancesRepository extends DbRepository {
  /** Takes the lease for `leaseMs` with a new epoch (a restart of the same id included); returns the epoch. */
  async start(dialerId: string, leaseMs: number): Promise<string> {
    const [row] = (await this.db.query(
      `INSERT INTO dialer_instances (dialer_id, started_at, heartbeat_at, epoch, lease_expires_at)
       VALUES ($1, clock_timestamp(), clock_timestamp(), nextval('dialer_lease_epoch_seq'), clock_timestamp() + make_interval(secs => $2::double precision / 1000))
       ON CONFLICT (dialer_id) DO UPDATE SET started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, epoch = EXCLUDED.epoch, lease_expires_at = EXCLUDED.lease_expires_at
       RETURNING epoch::text AS epoch`,
      [dialerId, leaseMs],
    )) as { epoch: string }[];
    return row!.epoch;
  }

  /**
   * Pushes the lease `leaseMs` ahead; false when it is no longer this process's to renew: it ran out (others may have
   * adopted its calls) or a newer process with the same id took a new epoch.
   */
  async renew(dialerId: string, epoch: string, leaseMs: number): Promise<boolean> {
    const result: unknown[] = await this.db.query(
      `UPDATE dialer_instances SET heartbeat_at = clock_timestamp(), lease_expires_at = clock_timestamp() + make_interval(secs => $3::double precision / 1000)
       WHERE dialer_id = $1 AND epoch = $2::bigint AND lease_expires_at > clock_timestamp()
       RETURNING 1`,
      [dialerId, epoch, leaseMs],
    );
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected].
    return Array.isArray(result[0]) ? (result[0] as unknown[]).length > 0 : result.length > 0;
  }

  /** Gives the lease up (graceful stop), unless a newer process of the same id holds it now. */
  async leave(dialerId: string, epoch: string): Promise<void> {
    await this.db.query(`DELETE FROM dialer_instances WHERE dialer_id = $1 AND epoch = $2::bigint`, [dialerId, epoch]);
  }

  /** The dialers whose lease runs. */
  async live(): Promise<Set<string>> {
    const rows: { dialer_id: string }[] = await this.db.query(`SELECT dialer_id FROM dialer_instances WHERE lease_expires_at > clock_timestamp()`);
    return new Set(rows.map((r) => r.dialer_id));
  }

  /** Forgets dialers gone for a day (their rows only matter while their calls might be live); returns how many. */
  async prune(): Promise<number> {
    const [, affected] = (await this.db.query(`DELETE FROM dialer_instances WHERE lease_expires_at < clock_timestamp() - interval '1 day' RETURNING 1`)) as [unknown[], number];
    return affected;
  }
}
