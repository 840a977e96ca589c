import { AsteriskEntity } from '../entities/asterisk.entity';
import { DbRepository } from './db-repository';

/** An Asterisk as written: everything but the timestamps Postgres sets (the password sealed by the caller). */
export type NewAsterisk = Omit<AsteriskEntity, 'createdAt' | 'updatedAt'>;

/** What an update may change (never the id or the name, which trunks and calls refer to). */
export type AsteriskPatch = Partial<Omit<NewAsterisk, 'id' | 'name'>>;

const NAME_KEY = 'asterisks_name_key';

/** The registry of Asterisks the dialers connect to (`asterisks`). */
export class AsterisksRepository extends DbRepository {
  private get repo() {
    return this.db.getRepository(AsteriskEntity);
  }

  /** The stored Asterisk, or null when the name is taken. */
  async create(asterisk: NewAsterisk): Promise<AsteriskEntity | null> {
    try {
      await this.repo.insert(asterisk);
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === NAME_KEY) return null;
      throw err;
    }
    return this.repo.findOneByOrFail({ id: asterisk.id });
  }

  /** Every registered Asterisk, by name. */
  list(): Promise<AsteriskEntity[]> {
    return this.repo.find({ order: { name: 'ASC' } });
  }

  byName(name: string): Promise<AsteriskEntity | null> {
    return this.repo.findOneBy({ name });
  }

  /** Of these names, the ones no Asterisk is registered under. */
  async unknownNames(names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const rows: { name: string }[] = await this.db.query(`SELECT name FROM asterisks WHERE name = ANY($1::text[])`, [names]);
    const known = new Set(rows.map((r) => r.name));
    return names.filter((n) => !known.has(n));
  }

  /** False when no Asterisk has that name. */
  async update(name: string, patch: AsteriskPatch): Promise<boolean> {
    const result = await this.repo.update({ name }, patch);
    return (result.affected ?? 0) > 0;
  }

  /** False when no Asterisk has that name. */
  async remove(name: string): Promise<boolean> {
    const result = await this.repo.delete({ name });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Live calls (initiated, ringing, in progress) per Asterisk that dialers other than `dialerId` hold: with this
   * dialer's own count, an Asterisk's load when placing a call.
   */
  async liveCallsOfOthers(dialerId: string): Promise<Map<string, number>> {
    const rows: { asterisk: string; n: number }[] = await this.db.query(
      `SELECT asterisk, count(*)::int AS n FROM calls
       WHERE status IN ('initiated', 'ringing', 'in_progress') AND asterisk IS NOT NULL AND dialer_id IS DISTINCT FROM $1
       GROUP BY asterisk`,
      [dialerId],
    );
    return new Map(rows.map((r) => [r.asterisk, r.n]));
  }
}
