import { TrunkEntity } from '../entities/trunk.entity';
import { DbRepository } from './db-repository';
import { newestFirst, type Page, type PageCursor } from './page';

/** A trunk as written: everything but the timestamps Postgres sets (no `asterisks`: every registered Asterisk). */
export type NewTrunk = Omit<TrunkEntity, 'createdAt' | 'updatedAt' | 'asterisks'> & { asterisks?: string[] };

/** What an update may change on a trunk (never its account, id or sandbox flag). */
export type TrunkPatch = Partial<Omit<NewTrunk, 'id' | 'accountId' | 'sandbox'>>;

/** Where a trunk's calls go: enough to route to the simulator or the real Asterisk. */
export type TrunkAddress = Pick<TrunkEntity, 'id' | 'sandbox' | 'host' | 'port'>;

/** What the dialer needs of a trunk to place calls on it: its account, which Asterisks carry it, and its limits. */
export type TrunkForDialing = Pick<TrunkEntity, 'id' | 'accountId' | 'sandbox' | 'asterisks' | 'maxConcurrentCalls' | 'callsPerSecond'>;

/** An account's trunks have distinct names. */
const ACCOUNT_NAME_KEY = 'trunks_account_id_name_key';

function isNameTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === ACCOUNT_NAME_KEY;
}

/** SIP trunks, the built-in sandbox trunk of each account included. */
export class TrunksRepository extends DbRepository {
  private get repo() {
    return this.db.getRepository(TrunkEntity);
  }

  /** The stored trunk, or null when the account already has a trunk of that name. */
  async create(trunk: NewTrunk): Promise<TrunkEntity | null> {
    try {
      await this.repo.insert(trunk);
    } catch (err) {
      if (isNameTaken(err)) return null;
      throw err;
    }
    return this.repo.findOneByOrFail({ id: trunk.id });
  }

  get(accountId: string, id: string): Promise<TrunkEntity | null> {
    return this.repo.findOneBy({ id, accountId });
  }

  exists(accountId: string, id: string): Promise<boolean> {
    return this.repo.existsBy({ id, accountId });
  }

  list(accountId: string, page: { limit: number; after: PageCursor | null }): Promise<Page<TrunkEntity>> {
    return newestFirst(this.repo.createQueryBuilder('t').where('t.account_id = :accountId', { accountId }), 't', page);
  }

  /** Where a page after this trunk starts; null when the account has no such trunk. */
  cursor(accountId: string, id: string): Promise<PageCursor | null> {
    return this.repo.findOne({ where: { id, accountId }, select: ['id', 'createdAt'] });
  }

  /** False when the patch renames the trunk to a name the account already uses. */
  async update(accountId: string, id: string, patch: TrunkPatch): Promise<boolean> {
    try {
      await this.repo.update({ id, accountId }, patch);
      return true;
    } catch (err) {
      if (isNameTaken(err)) return false;
      throw err;
    }
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.repo.delete({ id, accountId });
  }

  /** The customer (non-sandbox) trunks the dialer pushes to Asterisk: all of them, one account's, or one trunk. */
  customerTrunks(scope: { trunkId?: string; accountId?: string } = {}): Promise<TrunkEntity[]> {
    return this.repo.find({ where: { sandbox: false, ...(scope.trunkId ? { id: scope.trunkId } : {}), ...(scope.accountId ? { accountId: scope.accountId } : {}) } });
  }

  /** Every trunk's id, whether it is a sandbox one and which Asterisks carry it: the trunks whose state the dialer watches. */
  async watched(): Promise<Array<{ id: string; sandbox: boolean; asterisks: string[] }>> {
    return this.repo.find({ select: ['id', 'sandbox', 'asterisks'] });
  }

  /** Whether the id is a customer trunk's (so an Asterisk endpoint of that name is one Parley pushed). */
  isCustomerTrunk(id: string): Promise<boolean> {
    return this.repo.existsBy({ id, sandbox: false });
  }

  async address(id: string): Promise<TrunkAddress | null> {
    return this.repo.findOne({ where: { id }, select: ['id', 'sandbox', 'host', 'port'] });
  }

  /** The trunk's current limits, read by the dialer each time it grants its slots; null once it is deleted. */
  forDialing(id: string): Promise<TrunkForDialing | null> {
    return this.repo.findOne({ where: { id }, select: ['id', 'accountId', 'sandbox', 'asterisks', 'maxConcurrentCalls', 'callsPerSecond'] });
  }
}
