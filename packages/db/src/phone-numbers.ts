import type { DataSource, EntityManager } from 'typeorm';
import { PhoneNumberEntity } from './entities/phone-number.entity';

/** The one constraint a number can collide on: the same number twice on one trunk. */
const TRUNK_NUMBER_KEY = 'phone_numbers_trunk_number_key';

function isTakenOnTrunk(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === TRUNK_NUMBER_KEY;
}

/** Phone-number rows: writes that may collide on a trunk, and the lookups inbound routing relies on. */
export class PhoneNumbers {
  constructor(private readonly db: DataSource | EntityManager) {}

  private get repo() {
    return this.db.getRepository(PhoneNumberEntity);
  }

  /** False when the trunk already holds this number (the trunk is the caller's own, so that says nothing about others). */
  async insert(row: PhoneNumberEntity): Promise<boolean> {
    try {
      await this.repo.insert(row);
      return true;
    } catch (err) {
      if (isTakenOnTrunk(err)) return false;
      throw err;
    }
  }

  /** False when the patch moves the number onto a trunk that already holds it. */
  async update(accountId: string, id: string, patch: Partial<Pick<PhoneNumberEntity, 'trunkId' | 'label'>>): Promise<boolean> {
    try {
      await this.repo.update({ id, accountId }, patch);
      return true;
    } catch (err) {
      if (isTakenOnTrunk(err)) return false;
      throw err;
    }
  }

  /** The number as registered on this trunk. */
  onTrunk(trunkId: string, number: string): Promise<PhoneNumberEntity | null> {
    return this.repo.findOneBy({ trunkId, number });
  }

  /**
   * The number when exactly one trunk (of the given kind: sandbox or not, or any) holds it; null when none or several,
   * so a call whose trunk is unknown never reaches a guess.
   */
  async onlyHolder(number: string, trunks: { sandbox?: boolean } = {}): Promise<PhoneNumberEntity | null> {
    const qb = this.repo.createQueryBuilder('n').innerJoin('trunks', 't', 't.id = n.trunk_id').where('n.number = :number', { number });
    if (trunks.sandbox !== undefined) qb.andWhere('t.sandbox = :sandbox', { sandbox: trunks.sandbox });
    const rows = await qb.limit(2).getMany();
    return rows.length === 1 ? rows[0]! : null;
  }
}
