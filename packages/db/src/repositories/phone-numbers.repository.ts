import { In } from 'typeorm';
import { PhoneNumberEntity } from '../entities/phone-number.entity';
import { DbRepository } from './db-repository';
import { newestFirst, type Page, type PageCursor } from './page';

/** The one constraint a number can collide on: the same number twice on one trunk. */
const TRUNK_NUMBER_KEY = 'phone_numbers_trunk_number_key';

function isTakenOnTrunk(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === TRUNK_NUMBER_KEY;
}

/** A number as written: everything but the timestamps Postgres sets. */
export type NewPhoneNumber = Omit<PhoneNumberEntity, 'createdAt' | 'updatedAt'>;

/** Phone numbers on the accounts' trunks: writes that may collide on a trunk, and the lookups inbound routing relies on. */
export class PhoneNumbersRepository extends DbRepository {
  private get repo() {
    return this.db.getRepository(PhoneNumberEntity);
  }

  /** False when the trunk already holds this number (the trunk is the caller's own, so that says nothing about others). */
  async insert(row: NewPhoneNumber): Promise<boolean> {
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

  get(accountId: string, id: string): Promise<PhoneNumberEntity | null> {
    return this.repo.findOneBy({ id, accountId });
  }

  list(accountId: string, page: { limit: number; after: PageCursor | null }): Promise<Page<PhoneNumberEntity>> {
    return newestFirst(this.repo.createQueryBuilder('n').where('n.account_id = :accountId', { accountId }), 'n', page);
  }

  /** Where a page after this number starts; null when the account has no such number. */
  cursor(accountId: string, id: string): Promise<PageCursor | null> {
    return this.repo.findOne({ where: { id, accountId }, select: ['id', 'createdAt'] });
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.repo.delete({ id, accountId });
  }

  /** Which of these ids are numbers of the account. */
  async existingIds(accountId: string, ids: string[]): Promise<Set<string>> {
    const found = await this.repo.find({ where: { id: In(ids), accountId }, select: ['id'] });
    return new Set(found.map((n) => n.id));
  }

  /** How many numbers the trunk holds (a trunk with numbers cannot be deleted). */
  countOnTrunk(trunkId: string): Promise<number> {
    return this.repo.countBy({ trunkId });
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
