import { CALL_STATUSES, isTerminalStatus } from '@parley/common';
import { type EntityManager, In } from 'typeorm';
import { AgentEntity } from '../entities/agent.entity';
import { CallEntity } from '../entities/call.entity';
import { asRow } from '../rows';
import { DbRepository } from './db-repository';
import { newestFirst, type Page, type PageCursor } from './page';

/** An agent as written: everything but the timestamps Postgres sets. */
export type NewAgent = Omit<AgentEntity, 'createdAt' | 'updatedAt'>;

/** What an update may change on an agent (never its id, account or type). */
export type AgentPatch = Partial<Omit<NewAgent, 'id' | 'accountId' | 'type'>>;

const LIVE_CALL_STATUSES = CALL_STATUSES.filter((s) => !isTerminalStatus(s));

/** Agents, and which of them hold which numbers. */
export class AgentsRepository extends DbRepository {
  private get repo() {
    return this.db.getRepository(AgentEntity);
  }

  /**
   * Runs `write` in a transaction that holds the account's agent-write lock, so rules that span agents (one inbound
   * agent per number) hold under concurrency. `write` gets the transaction for the repositories it uses (`with(m)`).
   */
  serialized<T>(accountId: string, write: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('agents:' || $1))`, [accountId]);
      return write(m);
    });
  }

  async insert(agent: NewAgent): Promise<void> {
    await this.repo.insert(asRow<AgentEntity>(agent));
  }

  get(accountId: string, id: string): Promise<AgentEntity | null> {
    return this.repo.findOneBy({ id, accountId });
  }

  list(accountId: string, page: { limit: number; after: PageCursor | null }): Promise<Page<AgentEntity>> {
    return newestFirst(this.repo.createQueryBuilder('a').where('a.account_id = :accountId', { accountId }), 'a', page);
  }

  /** Where a page after this agent starts; null when the account has no such agent (ids are UUIDs: check first). */
  cursor(accountId: string, id: string): Promise<PageCursor | null> {
    return this.repo.findOne({ where: { id, accountId }, select: ['id', 'createdAt'] });
  }

  async update(accountId: string, id: string, patch: AgentPatch): Promise<void> {
    await this.repo.update({ id, accountId }, asRow<AgentEntity>(patch));
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.repo.delete({ id, accountId });
  }

  /** How many of the agent's calls have not ended yet. */
  liveCallCount(accountId: string, agentId: string): Promise<number> {
    return this.db.getRepository(CallEntity).countBy({ agentId, accountId, status: In(LIVE_CALL_STATUSES) });
  }

  /** For each of these numbers, the ids of the account's agents it is attached to, oldest agent first. */
  async idsByNumber(accountId: string, numberIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!numberIds.length) return out;
    const rows: Array<{ number_id: string; agent_id: string }> = await this.db.query(
      `SELECT n AS number_id, a.id AS agent_id FROM agents a, unnest(a.number_ids) AS n WHERE a.account_id = $1 AND n = ANY($2) ORDER BY a.created_at`,
      [accountId, numberIds],
    );
    for (const r of rows) out.set(r.number_id, [...(out.get(r.number_id) ?? []), r.agent_id]);
    return out;
  }

  /** An inbound agent of the account (other than `exceptId`) that already answers one of these numbers, if any. */
  async inboundHolder(accountId: string, numberIds: string[], exceptId: string | null): Promise<{ agentId: string; numberId: string } | null> {
    const rows: Array<{ id: string; n: string }> = await this.db.query(
      `SELECT a.id, n FROM agents a, unnest(a.number_ids) AS n WHERE a.account_id = $1 AND a.type = 'inbound' AND n = ANY($2) AND ($3::uuid IS NULL OR a.id <> $3::uuid) LIMIT 1`,
      [accountId, numberIds, exceptId],
    );
    return rows[0] ? { agentId: rows[0].id, numberId: rows[0].n } : null;
  }
}
