import type { AttemptOutcome, CallStatus, CampaignStatus, RecipientState } from '@parley/common';
import { CampaignEntity, CampaignRecipientEntity } from '../entities/campaign.entity';
import { asRow, returnedRows } from '../rows';
import { DbRepository } from './db-repository';
import { newestFirst, type Page, type PageCursor } from './page';

export type NewCampaign = Omit<CampaignEntity, 'createdAt' | 'updatedAt' | 'startedAt' | 'completedAt'>;
export type NewRecipient = Pick<CampaignRecipientEntity, 'id' | 'toNumber' | 'context' | 'metadata' | 'timezone'>;

/** A recipient whose live attempt's call is over: what the call came to. */
export interface EndedAttempt {
  recipient: CampaignRecipientEntity;
  callStatus: CallStatus;
  answeredBy: string | null;
}

/** Campaigns and their recipients: the campaign API's queries and the scheduler's claims. */
export class CampaignsRepository extends DbRepository {
  private get campaigns() {
    return this.db.getRepository(CampaignEntity);
  }
  private get recipients() {
    return this.db.getRepository(CampaignRecipientEntity);
  }

  async create(c: NewCampaign): Promise<void> {
    await this.campaigns.insert(asRow<CampaignEntity>(c));
  }

  get(accountId: string, id: string): Promise<CampaignEntity | null> {
    return this.campaigns.findOneBy({ id, accountId });
  }

  /** The campaign, locked for a change of status until the transaction ends. */
  getForUpdate(accountId: string, id: string): Promise<CampaignEntity | null> {
    return this.campaigns.createQueryBuilder('c').setLock('pessimistic_write').where('c.id = :id AND c.account_id = :accountId', { id, accountId }).getOne();
  }

  list(accountId: string, page: { limit: number; after: PageCursor | null }): Promise<Page<CampaignEntity>> {
    return newestFirst(this.campaigns.createQueryBuilder('c').where('c.account_id = :accountId', { accountId }), 'c', page);
  }

  cursor(accountId: string, id: string): Promise<PageCursor | null> {
    return this.campaigns.findOne({ where: { id, accountId }, select: ['id', 'createdAt'] });
  }

  async update(accountId: string, id: string, patch: Partial<CampaignEntity>): Promise<void> {
    await this.campaigns.update({ id, accountId }, asRow<CampaignEntity>(patch));
  }

  /**
   * Changes the campaign only if its status is still one of `from` (a scheduler's view may be older than a pause or a
   * cancel made through the API meanwhile); true if it did, so one process announces each change.
   */
  async transition(accountId: string, id: string, from: CampaignStatus[], patch: Partial<CampaignEntity>): Promise<boolean> {
    const result = await this.campaigns
      .createQueryBuilder()
      .update(CampaignEntity)
      .set(asRow<CampaignEntity>({ ...patch, updatedAt: new Date() }))
      .where('id = :id AND account_id = :accountId AND status IN (:...from)', { id, accountId, from })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Adds recipients; a number the campaign has already is left alone. Answers the numbers added. */
  async addRecipients(accountId: string, campaignId: string, rows: NewRecipient[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const added = (await this.db.query(
      `INSERT INTO campaign_recipients (id, campaign_id, account_id, to_number, context, metadata, timezone)
       SELECT id, $1, $2, n, c, m, tz FROM unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::text[]) AS r(id, n, c, m, tz)
       ON CONFLICT (campaign_id, to_number) DO NOTHING RETURNING to_number`,
      [campaignId, accountId, rows.map((r) => r.id), rows.map((r) => r.toNumber), rows.map((r) => JSON.stringify(r.context)), rows.map((r) => JSON.stringify(r.metadata)), rows.map((r) => r.timezone)],
    )) as Array<{ to_number: string }>;
    return new Set(added.map((r) => r.to_number));
  }

  /**
   * Recipients by state, and done ones by outcome; calls placed is the sum of attempts; how many recipients reached a
   * final state (done, exhausted) in the last `recentMinutes`, the campaign's pace for its ETA.
   */
  async progress(
    campaignId: string,
    recentMinutes = 15,
  ): Promise<{ byState: Array<{ state: RecipientState; outcome: AttemptOutcome | null; n: number }>; attempts: number; recentlyFinished: number }> {
    const rows = (await this.db.query(
      `SELECT state, outcome, count(*)::int AS n, sum(attempts)::int AS attempts,
              (count(*) FILTER (WHERE state IN ('done', 'exhausted') AND updated_at > now() - make_interval(mins => $2)))::int AS recent
         FROM campaign_recipients WHERE campaign_id = $1 GROUP BY state, outcome`,
      [campaignId, recentMinutes],
    )) as Array<{ state: RecipientState; outcome: AttemptOutcome | null; n: number; attempts: number; recent: number }>;
    return {
      byState: rows.map(({ state, outcome, n }) => ({ state, outcome, n })),
      attempts: rows.reduce((s, r) => s + r.attempts, 0),
      recentlyFinished: rows.reduce((s, r) => s + r.recent, 0),
    };
  }

  listRecipients(campaignId: string, filter: { state?: RecipientState; outcome?: AttemptOutcome }, page: { limit: number; after: PageCursor | null }): Promise<Page<CampaignRecipientEntity>> {
    const qb = this.recipients.createQueryBuilder('r').where('r.campaign_id = :campaignId', { campaignId });
    if (filter.state) qb.andWhere('r.state = :state', { state: filter.state });
    if (filter.outcome) qb.andWhere('r.outcome = :outcome', { outcome: filter.outcome });
    return newestFirst(qb, 'r', page);
  }

  recipientCursor(campaignId: string, id: string): Promise<PageCursor | null> {
    return this.recipients.findOne({ where: { id, campaignId }, select: ['id', 'createdAt'] });
  }

  /** Recipients in id order after `afterId`, each with its last call's status and result, for the export. */
  exportPage(campaignId: string, afterId: string | null, limit: number): Promise<Array<CampaignRecipientEntity & { lastCallStatus: CallStatus | null; lastCallResult: Record<string, unknown> | null }>> {
    return this.db
      .query(
        `SELECT r.id, r.to_number, r.state, r.outcome, r.attempts, r.call_ids, r.context, r.metadata, r.timezone, c.status AS call_status, c.result AS call_result
           FROM campaign_recipients r LEFT JOIN calls c ON c.id = r.call_ids[array_length(r.call_ids, 1)]
          WHERE r.campaign_id = $1 AND ($2::uuid IS NULL OR r.id > $2::uuid) ORDER BY r.id LIMIT $3`,
        [campaignId, afterId, limit],
      )
      .then((rows: Array<Record<string, unknown>>) =>
        rows.map((r) => ({
          id: r.id as string,
          toNumber: r.to_number as string,
          state: r.state as RecipientState,
          outcome: r.outcome as AttemptOutcome | null,
          attempts: r.attempts as number,
          callIds: r.call_ids as string[],
          context: r.context as Record<string, unknown>,
          metadata: r.metadata as Record<string, unknown>,
          timezone: r.timezone as string | null,
          lastCallStatus: r.call_status as CallStatus | null,
          lastCallResult: r.call_result as Record<string, unknown> | null,
        })) as Array<CampaignRecipientEntity & { lastCallStatus: CallStatus | null; lastCallResult: Record<string, unknown> | null }>,
      );
  }

  // ---------------------------------------------------------------- the scheduler

  /** Campaigns that may place calls or wait to start, and stopped ones whose last calls are still live, across accounts. */
  active(): Promise<CampaignEntity[]> {
    return this.campaigns
      .createQueryBuilder('c')
      .where(`c.status IN ('scheduled', 'running')`)
      .orWhere(`EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = c.id AND r.state = 'in_progress')`)
      .getMany();
  }

  /** A campaign by id alone (the scheduler, woken by one of its calls ending). */
  byId(id: string): Promise<CampaignEntity | null> {
    return this.campaigns.findOneBy({ id });
  }

  /**
   * Lines of a trunk nobody uses or waits for: its max_concurrent_calls less its calls queued or live, API calls and
   * every campaign's alike (the live-status index keeps it cheap). Campaigns claim no more than this, so a call placed
   * through the API never queues behind a campaign's.
   */
  async idleLines(trunkId: string): Promise<number> {
    const rows = (await this.db.query(
      `SELECT t.max_concurrent_calls - (SELECT count(*) FROM calls c WHERE c.trunk_id = t.id AND c.status IN ('queued', 'initiated', 'ringing', 'in_progress'))::int AS idle
         FROM trunks t WHERE t.id = $1`,
      [trunkId],
    )) as Array<{ idle: number }>;
    return rows[0]?.idle ?? 0;
  }

  /** Whether any recipient still waits or is being called. */
  async unfinished(campaignId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM campaign_recipients WHERE campaign_id = $1 AND state IN ('pending', 'in_progress') LIMIT 1`, [campaignId]);
    return rows.length > 0;
  }

  /**
   * Due recipients for `decide` to start, defer or skip inside one transaction: `start` marks them in_progress with one
   * more attempt, `defer` moves their next attempt, `skip` sets them aside as never callable (no_calling_hours). The campaign's row is locked first, so schedulers claim for one
   * campaign one at a time and `free` (maxLive minus the live attempts) holds; due rows are locked too, and ones
   * another transaction holds are skipped.
   */
  async claimDue(
    campaignId: string,
    now: Date,
    maxLive: number,
    /** Lines the campaign may take beyond its own limit's (its trunk's idle ones). */
    trunkIdle: number,
    lookahead: number,
    decide: (due: CampaignRecipientEntity[], free: number) => { start: string[]; defer: Array<{ id: string; at: Date }>; skip: string[] },
  ): Promise<CampaignRecipientEntity[]> {
    return this.db.transaction(async (m) => {
      await m.query(`SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE`, [campaignId]);
      const [{ n: live }] = (await m.query(`SELECT count(*)::int AS n FROM campaign_recipients WHERE campaign_id = $1 AND state = 'in_progress'`, [campaignId])) as Array<{ n: number }>;
      const free = Math.min(maxLive - live!, trunkIdle);
      if (free <= 0) return [];
      const due = await m
        .getRepository(CampaignRecipientEntity)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .where(`r.campaign_id = :campaignId AND r.state = 'pending' AND r.next_attempt_at <= :now`, { campaignId, now })
        .orderBy('r.next_attempt_at')
        .addOrderBy('r.id')
        .take(free + lookahead)
        .getMany();
      const { start, defer, skip } = decide(due, free);
      if (skip.length) await m.query(`UPDATE campaign_recipients SET state = 'skipped', outcome = 'no_calling_hours', next_attempt_at = NULL, updated_at = now() WHERE id = ANY($1::uuid[]) AND state = 'pending'`, [skip]);
      for (const d of defer) await m.query(`UPDATE campaign_recipients SET next_attempt_at = $2, updated_at = now() WHERE id = $1`, [d.id, d.at]);
      if (start.length === 0) return [];
      return returnedRows<Record<string, unknown>>(
        await m.query(`UPDATE campaign_recipients SET state = 'in_progress', attempts = attempts + 1, call_id = NULL, updated_at = now() WHERE id = ANY($1::uuid[]) AND state = 'pending' RETURNING id`, [start]),
      ).map((r) => due.find((d) => d.id === r.id)!).map((d) => ({ ...d, state: 'in_progress' as const, attempts: d.attempts + 1, callId: null }));
    });
  }

  /** The call of a recipient's live attempt. */
  async attachCall(recipientId: string, callId: string): Promise<void> {
    await this.db.query(`UPDATE campaign_recipients SET call_id = $2, call_ids = CASE WHEN $2 = ANY(call_ids) THEN call_ids ELSE array_append(call_ids, $2) END, updated_at = now() WHERE id = $1`, [recipientId, callId]);
  }

  /** Live attempts without their call after `olderThanMs` (the scheduler stopped between the claim and the call). */
  unplaced(campaignId: string, olderThanMs: number): Promise<CampaignRecipientEntity[]> {
    return this.recipients
      .createQueryBuilder('r')
      .where(`r.campaign_id = :campaignId AND r.state = 'in_progress' AND r.call_id IS NULL AND r.updated_at < now() - make_interval(secs => :secs)`, { campaignId, secs: olderThanMs / 1000 })
      .getMany();
  }

  /** Live attempts whose call is over (and, answered, whose answering party is known, or long over). */
  async endedAttempts(campaignId: string): Promise<EndedAttempt[]> {
    const rows = await this.recipients
      .createQueryBuilder('r')
      .innerJoin('calls', 'c', 'c.id = r.call_id')
      .addSelect(['c.status AS call_status', 'c.answered_by AS answered_by'])
      .where(`r.campaign_id = :campaignId AND r.state = 'in_progress'`, { campaignId })
      .andWhere(`c.status IN ('completed', 'no_answer', 'busy', 'canceled', 'failed')`)
      .andWhere(`(c.answered_at IS NULL OR c.answered_by IS NOT NULL OR c.ended_at < now() - interval '30 seconds')`)
      .getRawAndEntities();
    return rows.entities.map((recipient, i) => ({ recipient, callStatus: rows.raw[i].call_status as CallStatus, answeredBy: rows.raw[i].answered_by as string | null }));
  }

  /**
   * Ends live attempt number `attempt`: back to pending for a retry at `nextAttemptAt`, or a final state. Only that
   * attempt, while live: a scheduler acting on an older read changes nothing once another has moved the recipient on.
   */
  async settle(
    recipientId: string,
    attempt: number,
    to: { state: RecipientState; outcome: AttemptOutcome | null; nextAttemptAt: Date | null; attempts?: number },
  ): Promise<boolean> {
    const [, affected] = (await this.db.query(
      `UPDATE campaign_recipients SET state = $2, outcome = $3, next_attempt_at = $4, attempts = COALESCE($5, attempts), updated_at = now()
        WHERE id = $1 AND state = 'in_progress' AND attempts = $6`,
      [recipientId, to.state, to.outcome, to.nextAttemptAt, to.attempts ?? null, attempt],
    )) as [unknown, number];
    return affected > 0;
  }

  /** Makes every not-yet-called recipient due at `at` (a campaign starting or resuming). */
  async scheduleFrom(campaignId: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE campaign_recipients SET next_attempt_at = GREATEST(COALESCE(next_attempt_at, $2), $2) WHERE campaign_id = $1 AND state = 'pending'`, [campaignId, at]);
  }
}
